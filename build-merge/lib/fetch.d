build-merge/lib/fetch.o: lib/fetch.c lib/fetch.h lib/ctx.h shared/util.h \
 shared/macro.h shared/process.h shared/strbuf.h shared/strv.h \
 shared/xalloc.h shared/sha256.h lib/dl.h
lib/fetch.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
shared/sha256.h:
lib/dl.h:
