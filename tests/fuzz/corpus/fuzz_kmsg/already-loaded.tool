insmod: ERROR: could not insert module /m/libarc4.ko: File exists
