build-merge/lib/image-deps.o: lib/image-deps.c lib/image-deps.h lib/ctx.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h
lib/image-deps.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
