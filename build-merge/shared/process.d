build-merge/shared/process.o: shared/process.c shared/process.h
shared/process.h:
