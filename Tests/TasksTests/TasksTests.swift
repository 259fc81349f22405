// Tests for the Tasks module (filled in by its issue).
