// Tokenizers: text ↔ token ids for pretrained models (byte-level BPE).
/// Namespace of the Tokenizers module.
public enum Tokenizers {}
