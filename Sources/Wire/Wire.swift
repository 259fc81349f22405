// Wire module: placeholder until its issue lands.
