build-merge/tests/test_moddb: tests/unit/test_moddb.c tests/unit/unit.h \
 lib/ctx.h lib/moddb-internal.h lib/moddb.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h
tests/unit/unit.h:
lib/ctx.h:
lib/moddb-internal.h:
lib/moddb.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
