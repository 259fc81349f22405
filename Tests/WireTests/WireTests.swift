// Tests for the Wire module (filled in by its issue).
