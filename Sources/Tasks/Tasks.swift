// Tasks module: placeholder until its issue lands.
