build-merge/lib/diagnose-system.o: lib/diagnose-system.c \
 shared/compress.h lib/diagnose-internal.h lib/diagnose.h lib/ctx.h \
 lib/kmsg.h shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h lib/moddb.h
shared/compress.h:
lib/diagnose-internal.h:
lib/diagnose.h:
lib/ctx.h:
lib/kmsg.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/moddb.h:
