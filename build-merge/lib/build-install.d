build-merge/lib/build-install.o: lib/build-install.c lib/build-internal.h \
 lib/build.h lib/ctx.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h lib/dkms.h lib/depmod.h \
 lib/extract.h lib/rootlock.h
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
lib/depmod.h:
lib/extract.h:
lib/rootlock.h:
