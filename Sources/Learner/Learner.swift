// Learner module: placeholder until its issue lands.
