build-merge/lib/jail.o: lib/jail.c lib/jail.h lib/ctx.h shared/util.h \
 shared/macro.h shared/process.h shared/strbuf.h shared/strv.h \
 shared/xalloc.h
lib/jail.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
