build-merge/tests/test_autoload: tests/unit/test_autoload.c \
 tests/unit/unit.h lib/autoload.h lib/ctx.h lib/loader.h lib/moddb.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h lib/modlist.h
tests/unit/unit.h:
lib/autoload.h:
lib/ctx.h:
lib/loader.h:
lib/moddb.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/modlist.h:
