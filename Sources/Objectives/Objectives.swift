// Objectives module: placeholder until its issue lands.
