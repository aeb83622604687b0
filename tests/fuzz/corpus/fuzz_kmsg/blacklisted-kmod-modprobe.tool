modprobe: ERROR: could not insert 'qnx4': Operation not permitted
