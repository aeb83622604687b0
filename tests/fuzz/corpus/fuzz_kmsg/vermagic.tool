insmod: can't insert '/m/dummy-vermagic.ko': invalid module format
