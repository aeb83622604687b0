build-merge/tests/test_system: tests/unit/test_system.c tests/unit/unit.h \
 lib/ctx.h lib/depmod.h lib/rootlock.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h
tests/unit/unit.h:
lib/ctx.h:
lib/depmod.h:
lib/rootlock.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
