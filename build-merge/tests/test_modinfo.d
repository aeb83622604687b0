build-merge/tests/test_modinfo: tests/unit/test_modinfo.c \
 tests/unit/unit.h lib/ctx.h lib/modinfo.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h
tests/unit/unit.h:
lib/ctx.h:
lib/modinfo.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
