build-merge/lib/dl-curl.o: lib/dl-curl.c lib/dl.h
lib/dl.h:
