insmod: can't insert '/m/dummy.ko': Operation not permitted
