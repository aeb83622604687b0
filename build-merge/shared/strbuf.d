build-merge/shared/strbuf.o: shared/strbuf.c shared/strbuf.h \
 shared/macro.h shared/xalloc.h
shared/strbuf.h:
shared/macro.h:
shared/xalloc.h:
