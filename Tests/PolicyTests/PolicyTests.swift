// Tests for the Policy module (filled in by its issue).
