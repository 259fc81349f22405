// Tests for the Learner module (filled in by its issue).
