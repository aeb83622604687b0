insmod: can't insert '/m/dummy-crc.ko': Invalid argument
