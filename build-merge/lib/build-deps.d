build-merge/lib/build-deps.o: lib/build-deps.c lib/build-internal.h \
 lib/build.h lib/ctx.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h lib/dkms.h
lib/build-internal.h:
lib/build.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/dkms.h:
