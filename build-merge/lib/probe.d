build-merge/lib/probe.o: lib/probe.c lib/probe.h lib/ctx.h lib/moddb.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h
lib/probe.h:
lib/ctx.h:
lib/moddb.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
