insmod: ERROR: could not insert module /m/v4l2loopback.ko: Unknown symbol in module
