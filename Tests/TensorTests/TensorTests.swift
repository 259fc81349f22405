// Tests for the Tensor module (filled in by its issue).
