build-merge/lib/sandbox.o: lib/sandbox.c lib/sandbox.h lib/ctx.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h
lib/sandbox.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
