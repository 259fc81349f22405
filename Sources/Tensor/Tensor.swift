// Tensor module: placeholder until its issue lands.
