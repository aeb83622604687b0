build-merge/lib/modinfo.o: lib/modinfo.c lib/modinfo.h lib/ctx.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h shared/compress.h lib/dl.h
lib/modinfo.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
shared/compress.h:
lib/dl.h:
