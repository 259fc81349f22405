// safetensors in pure Swift: an 8-byte little-endian header length, a JSON header
// mapping tensor names to {dtype, shape, data_offsets} (plus an optional
// "__metadata__" string map), then the raw little-endian tensor bytes.
// Reading validates everything (sizes, offsets, dtypes) and throws SafeTensorsError.

import Foundation

/// Element types this implementation reads and writes.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case F32, F64, I32, I64, U8
    /// IEEE half and bfloat16: read as they are, converted to F32 on request (`convertedFloats`).
    case F16, BF16
    /// Bytes per element.
    public var size: Int {
        switch self {
        case .F16, .BF16: return 2
        case .F32, .I32: return 4
        case .F64, .I64: return 8
        case .U8: return 1
        }
    }
}

/// One tensor: dtype, shape and its raw little-endian bytes.
public struct TensorData: Sendable, Equatable {
    public var dtype: SafeTensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    public init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype; self.shape = shape; self.bytes = bytes
    }
    /// An F32 tensor. `values.count` must equal the product of `shape`.
    public init(floats values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "TensorData: value count does not match shape")
        self.init(dtype: .F32, shape: shape, bytes: Self.pack(values.map { $0.bitPattern }))
    }
    /// An F32 tensor copied from a buffer.
    public init(floats values: UnsafeBufferPointer<Float>, shape: [Int]) {
        self.init(floats: Array(values), shape: shape)
    }
    /// An I32 tensor.
    public init(int32s values: [Int32], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "TensorData: value count does not match shape")
        self.init(dtype: .I32, shape: shape, bytes: Self.pack(values.map { UInt32(bitPattern: $0) }))
    }
    /// An I64 tensor.
    public init(int64s values: [Int64], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "TensorData: value count does not match shape")
        self.init(dtype: .I64, shape: shape, bytes: Self.pack(values.map { UInt64(bitPattern: $0) }))
    }

    private static func pack<T: FixedWidthInteger>(_ v: [T]) -> [UInt8] {
        let le = v.map { $0.littleEndian }
        return le.withUnsafeBytes { Array($0) }
    }
    private func unpack<T: FixedWidthInteger>(_: T.Type) -> [T] {
        let n = bytes.count / MemoryLayout<T>.size
        var out = [T](repeating: 0, count: n)
        out.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
        #if _endian(big)
        for i in 0..<n { out[i] = T(littleEndian: out[i]) }
        #endif
        return out
    }

    /// Values of an F32 tensor (throws if the dtype is not F32; `name`/`file` label the error).
    public func floats(name: String = "?", file: String = "?") throws -> [Float] {
        guard dtype == .F32 else {
            throw SafeTensorsError(file: file, .wrongDType(tensor: name, expected: "F32", found: dtype.rawValue))
        }
        return unpack(UInt32.self).map { Float(bitPattern: $0) }
    }
    /// Values of an I32 tensor.
    public func int32s(name: String = "?", file: String = "?") throws -> [Int32] {
        guard dtype == .I32 else {
            throw SafeTensorsError(file: file, .wrongDType(tensor: name, expected: "I32", found: dtype.rawValue))
        }
        return unpack(UInt32.self).map { Int32(bitPattern: $0) }
    }
    /// Values of an I64 tensor.
    public func int64s(name: String = "?", file: String = "?") throws -> [Int64] {
        guard dtype == .I64 else {
            throw SafeTensorsError(file: file, .wrongDType(tensor: name, expected: "I64", found: dtype.rawValue))
        }
        return unpack(UInt64.self).map { Int64(bitPattern: $0) }
    }
}

/// A whole safetensors file in memory: named tensors plus the `__metadata__` map.
public struct SafeTensorsFile: Sendable {
    public var tensors: [String: TensorData]
    public var metadata: [String: String]
    /// Label used in error messages (the path it was read from, if any).
    public var label: String

    public init(tensors: [String: TensorData] = [:], metadata: [String: String] = [:], label: String = "<memory>") {
        self.tensors = tensors; self.metadata = metadata; self.label = label
    }

    /// Reads and validates a file.
    public static func read(from url: URL) throws -> SafeTensorsFile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafeTensorsError(file: url.path, .unreadable(error.localizedDescription))
        }
        return try parse([UInt8](data), label: url.path)
    }

    /// Tensor `name`, or `missingTensor`.
    public func tensor(_ name: String) throws -> TensorData {
        guard let t = tensors[name] else { throw SafeTensorsError(file: label, .missingTensor(name)) }
        return t
    }

    /// F32 values of `name`, checking the shape when `shape` is given.
    public func floats(_ name: String, shape: [Int]? = nil) throws -> [Float] {
        let t = try tensor(name)
        if let shape, shape != t.shape {
            throw SafeTensorsError(file: label, .wrongShape(tensor: name, expected: shape, found: t.shape))
        }
        return try t.floats(name: name, file: label)
    }
    /// I32 values of `name`.
    public func int32s(_ name: String) throws -> [Int32] { try tensor(name).int32s(name: name, file: label) }
    /// I64 values of `name`.
    public func int64s(_ name: String) throws -> [Int64] { try tensor(name).int64s(name: name, file: label) }

    /// Writes the file (replacing any existing one).
    public func write(to url: URL) throws {
        do { try Data(serialized()).write(to: url) } catch {
            throw SafeTensorsError(file: url.path, .unwritable(error.localizedDescription))
        }
    }
}
