// ModelFiles: reading model files made elsewhere — GGUF v3 and Hugging Face directories.
/// Namespace of the ModelFiles module.
public enum ModelFiles {}
