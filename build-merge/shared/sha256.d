build-merge/shared/sha256.o: shared/sha256.c shared/sha256.h
shared/sha256.h:
