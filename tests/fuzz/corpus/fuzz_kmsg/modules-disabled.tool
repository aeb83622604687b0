insmod: ERROR: could not insert module /m/dummy.ko: Operation not permitted
