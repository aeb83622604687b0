insmod: can't insert '/m/v4l2loopback.ko': Key was rejected by service
insmod: ERROR: could not insert module /m/v4l2loopback.ko: Key was rejected by service
