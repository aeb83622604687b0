build-merge/tests/test_modlist: tests/unit/test_modlist.c \
 tests/unit/unit.h lib/ctx.h lib/modlist.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h
tests/unit/unit.h:
lib/ctx.h:
lib/modlist.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
