insmod: can't insert '/m/dummy-bsd.ko': unknown symbol in module, or unknown parameter
