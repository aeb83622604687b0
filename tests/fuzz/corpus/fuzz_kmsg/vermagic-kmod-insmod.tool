insmod: ERROR: could not insert module /m/dummy-vermagic.ko: Invalid module format
