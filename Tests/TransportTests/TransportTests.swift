// Tests for the Transport module (filled in by its issue).
