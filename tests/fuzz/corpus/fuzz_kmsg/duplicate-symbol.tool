insmod: can't insert '/m/libarc5.ko': invalid module format
