build-merge/lib/loader.o: lib/loader.c lib/loader.h lib/ctx.h lib/moddb.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h shared/compress.h lib/kmsg.h lib/modinfo.h
lib/loader.h:
lib/ctx.h:
lib/moddb.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
shared/compress.h:
lib/kmsg.h:
lib/modinfo.h:
