insmod: can't insert '/m/v4l2loopback.ko': Operation not permitted
