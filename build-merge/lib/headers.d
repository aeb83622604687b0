build-merge/lib/headers.o: lib/headers.c lib/headers.h lib/ctx.h \
 lib/fetch.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h lib/depmod.h lib/extract.h \
 lib/rootlock.h shared/sha256.h
lib/headers.h:
lib/ctx.h:
lib/fetch.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/depmod.h:
lib/extract.h:
lib/rootlock.h:
shared/sha256.h:
