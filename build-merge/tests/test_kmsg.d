build-merge/tests/test_kmsg: tests/unit/test_kmsg.c tests/unit/unit.h \
 lib/ctx.h lib/kmsg.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h
tests/unit/unit.h:
lib/ctx.h:
lib/kmsg.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
