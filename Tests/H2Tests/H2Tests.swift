// Tests for the H2 module (filled in by its issue).
