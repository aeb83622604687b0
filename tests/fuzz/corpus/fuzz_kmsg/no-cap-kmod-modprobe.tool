modprobe: ERROR: could not insert 'dummy': Operation not permitted
