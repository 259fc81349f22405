// TLS module: placeholder until its issue lands.
