// A contiguous, owned, zero-initialised Float allocation: the "arena" that the
// model's parameters, gradients, optimizer moments and activations are carved from
// (llm.c style: one allocation, many named views).

/// An owned block of `count` Floats, zeroed on creation and freed on deinit.
///
/// Threading: not Sendable; confine each buffer to the thread (or actor) that owns it.
public final class FloatBuffer {
    /// The whole allocation. Valid for the lifetime of this object.
    public let buffer: UnsafeMutableBufferPointer<Float>

    /// Allocates `count` zeroed floats (64-byte aligned for vector loads).
    public init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        let p = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        buffer = UnsafeMutableBufferPointer(start: p, count: count)
    }

    deinit { UnsafeMutableRawPointer(buffer.baseAddress!).deallocate() }

    /// Number of floats.
    public var count: Int { buffer.count }
    /// Base pointer.
    public var base: UnsafeMutablePointer<Float> { buffer.baseAddress! }

    /// A copy of the contents (safe even when this buffer is a temporary).
    public func toArray() -> [Float] { Array(buffer) }

    /// Sets every element to zero.
    public func zero() { if count > 0 { base.update(repeating: 0, count: count) } }

    /// A view of `count` floats starting at `offset`.
    public func slice(_ offset: Int, _ count: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(offset >= 0 && offset + count <= self.count, "FloatBuffer slice out of range")
        return UnsafeMutableBufferPointer(start: base + offset, count: count)
    }
}
