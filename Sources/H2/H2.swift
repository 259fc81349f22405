// H2 module: placeholder until its issue lands.
