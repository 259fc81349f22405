// Transport module: placeholder until its issue lands.
