build-merge/shared/strv.o: shared/strv.c shared/strv.h shared/macro.h \
 shared/xalloc.h
shared/strv.h:
shared/macro.h:
shared/xalloc.h:
