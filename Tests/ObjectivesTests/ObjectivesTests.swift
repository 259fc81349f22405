// Tests for the Objectives module (filled in by its issue).
