build-merge/lib/dl-archive.o: lib/dl-archive.c lib/dl.h
lib/dl.h:
