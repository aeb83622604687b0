insmod: can't insert '/m/btrfs.ko': unknown symbol in module, or unknown parameter
