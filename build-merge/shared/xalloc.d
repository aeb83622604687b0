build-merge/shared/xalloc.o: shared/xalloc.c shared/xalloc.h \
 shared/macro.h
shared/xalloc.h:
shared/macro.h:
