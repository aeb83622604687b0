build-merge/lib/diagnose-symbols.o: lib/diagnose-symbols.c \
 lib/diagnose-internal.h lib/diagnose.h lib/ctx.h lib/kmsg.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h lib/moddb.h
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
