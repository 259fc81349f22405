// Tests for the EndToEnd module (filled in by its issue).
