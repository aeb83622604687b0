build-merge/shared/compress.o: shared/compress.c shared/compress.h \
 shared/macro.h
shared/compress.h:
shared/macro.h:
