insmod: can't insert '/m/v4l2loopback.ko': unknown symbol in module, or unknown parameter
