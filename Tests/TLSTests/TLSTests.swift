// Tests for the TLS module (filled in by its issue).
