insmod: can't insert '/m/dspcfg-nons.ko': Invalid argument
