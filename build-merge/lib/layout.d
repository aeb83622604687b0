build-merge/lib/layout.o: lib/layout.c lib/layout.h lib/build.h lib/ctx.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h lib/image-deps.h lib/depmod.h
lib/layout.h:
lib/build.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/image-deps.h:
lib/depmod.h:
