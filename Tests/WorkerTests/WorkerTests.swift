// Tests for the Worker module (filled in by its issue).
