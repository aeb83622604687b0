build-merge/lib/gate-profile.o: lib/gate-profile.c lib/gate.h lib/ctx.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h
lib/gate.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
