// Policy module: placeholder until its issue lands.
