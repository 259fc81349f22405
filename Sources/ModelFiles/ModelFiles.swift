// ModelFiles: reading model files made elsewhere — GGUF v3 and Hugging Face directories.
// This file holds the types both readers hand out: a dense Float tensor in PyTorch shape order.

/// Namespace of the ModelFiles module.
package enum ModelFiles {}

/// A dense tensor of Float values, row-major, with its shape in PyTorch order (outermost first).
package struct FloatTensor: Sendable, Equatable {
    /// Shape, outermost dimension first (a `[out, in]` weight is `[rows, row length]`).
    package var shape: [Int]
    /// `shape.reduce(1, *)` values, row-major.
    package var values: [Float]

    package init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    package var elementCount: Int { shape.reduce(1, *) }
}
