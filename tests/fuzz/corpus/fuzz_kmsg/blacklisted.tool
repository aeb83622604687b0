insmod: can't insert '/m/qnx4.ko': Operation not permitted
