insmod: can't insert '/m/dummy-nover.ko': Invalid argument
