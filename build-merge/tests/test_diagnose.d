build-merge/tests/test_diagnose: tests/unit/test_diagnose.c \
 tests/unit/unit.h lib/ctx.h lib/diagnose.h lib/kmsg.h shared/util.h \
 shared/macro.h shared/process.h shared/strbuf.h shared/strv.h \
 shared/xalloc.h
tests/unit/unit.h:
lib/ctx.h:
lib/diagnose.h:
lib/kmsg.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
