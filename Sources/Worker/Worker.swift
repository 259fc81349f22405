// Worker module: placeholder until its issue lands.
