// GGUF files (versions 2 and 3): the header, every metadata key/value, the tensor infos and where
// the tensor data starts. The file is memory-mapped once; tensors are read from the mapping only
// when asked for (see GGUFDequantize.swift). Layout, all little-endian:
//   "GGUF" | u32 version | u64 tensor count | u64 kv count | kvs | tensor infos | pad | data
//   kv = string key, u32 value type, value; string = u64 length + UTF-8 bytes;
//   array = u32 element type, u64 count, elements;
//   tensor info = string name, u32 n_dims, u64 ne[n_dims] (innermost first), u32 ggml type,
//   u64 offset (from the data start, a multiple of the alignment).

import Foundation

/// Where one tensor lies in a GGUF file, and its type and shape.
package struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name in the file (e.g. "blk.0.attn_q.weight").
    package let name: String
    /// Its ggml type.
    package let type: GGMLType
    /// Dimensions as ggml lists them: innermost (row length, ne[0]) first.
    package let dimensions: [Int]
    /// Byte offset of its data from the start of the data section.
    package let offset: Int
    /// Number of elements.
    package let elementCount: Int
    /// Bytes its data occupies.
    package let byteCount: Int

    /// Shape in PyTorch order (outermost first): `dimensions` reversed.
    package var shape: [Int] { dimensions.reversed() }
}

/// A parsed GGUF file: metadata and tensor infos, with the tensor data mapped from disk.
package struct GGUFFile: Sendable {
    /// Path (or label) used in errors.
    package let path: String
    /// Format version (2 or 3).
    package let version: UInt32
    /// All metadata values by key.
    package let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    package let metadataKeys: [String]
    /// Tensor infos in file order.
    package let tensors: [GGUFTensorInfo]
    /// Alignment of the data section and of every tensor offset (`general.alignment`, default 32).
    package let alignment: Int
    /// Absolute byte offset of the data section.
    package let dataOffset: Int
    /// Total size of the file in bytes.
    package var fileSize: Int { storage.count }

    let storage: MappedBytes
    private let tensorIndex: [String: Int]

    /// Deepest array-of-arrays nesting accepted (guards the stack against hostile files).
    static let maxArrayDepth = 16
    /// Most dimensions a ggml tensor has.
    static let maxDimensions = 4

    /// Maps and parses the file at `url`.
    package init(contentsOf url: URL) throws {
        let path = url.path
        let storage = try MappedBytes(path: path) { GGUFError(file: path, .unreadable($0)) }
        try self.init(storage: storage, label: path)
    }

    /// Parses a file held in memory (the bytes are copied once); `label` names it in errors.
    package init(bytes: [UInt8], label: String = "<memory>") throws {
        try self.init(storage: MappedBytes(copying: bytes), label: label)
    }

    private init(storage: MappedBytes, label: String) throws {
        self.storage = storage
        path = label
        var c = ByteCursor(bytes: storage.buffer, file: label)
        try c.need(4, "the magic \"GGUF\"")
        let magic = Array(storage.buffer[0..<4])
        guard magic == Array("GGUF".utf8) else { throw GGUFError(file: label, .badMagic(found: magic)) }
        try c.skip(4, "the magic")
        version = try c.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else { throw GGUFError(file: label, .unsupportedVersion(version)) }
        let tensorCount = try c.read(UInt64.self, "the tensor count")
        let kvCount = try c.read(UInt64.self, "the metadata key/value count")
        // A kv needs at least 8 (key length) + 4 (type) + 1 bytes; a tensor info 8 + 4 + 4 + 8.
        guard kvCount <= UInt64(c.remaining / 13) else {
            throw GGUFError(file: label, .countTooLarge(offset: 16, what: "metadata key/values", count: kvCount))
        }
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        keys.reserveCapacity(Int(kvCount))
        for i in 0..<Int(kvCount) {
            let key = try c.string("metadata key #\(i)")
            let typeOffset = c.offset
            let rawType = try c.read(UInt32.self, "value type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw GGUFError(file: label, .unknownValueType(key: key, type: rawType, offset: typeOffset))
            }
            let value = try Self.readValue(type, key: key, cursor: &c, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else { throw GGUFError(file: label, .duplicateKey(key)) }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var align = 32
        if let a = metadata["general.alignment"] {
            guard case .uint32(let v) = a, v > 0, v & (v - 1) == 0 else {
                throw GGUFError(file: label, .badValue(key: "general.alignment",
                                                       detail: "\(a) is not a power-of-two uint32"))
            }
            align = Int(v)
        }
        alignment = align

        guard tensorCount <= UInt64(c.remaining / 24) else {
            throw GGUFError(file: label, .countTooLarge(offset: 8, what: "tensors", count: tensorCount))
        }
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(Int(tensorCount))
        var index: [String: Int] = [:]
        for i in 0..<Int(tensorCount) {
            let info = try Self.readTensorInfo(number: i, cursor: &c, alignment: align, label: label)
            guard index.updateValue(infos.count, forKey: info.name) == nil else {
                throw GGUFError(file: label, .badTensorInfo(tensor: info.name, detail: "name appears twice"))
            }
            infos.append(info)
        }
        tensors = infos
        tensorIndex = index

        // The data section starts at the next multiple of the alignment (it may be empty).
        let start = (c.offset + align - 1) / align * align
        dataOffset = start
        for t in infos {
            let (begin, o1) = start.addingReportingOverflow(t.offset)
            let (end, o2) = begin.addingReportingOverflow(t.byteCount)
            guard !o1, !o2, end <= storage.count else {
                throw GGUFError(file: label, .tensorOutOfBounds(tensor: t.name, start: o1 ? Int.max : begin,
                                                                byteCount: t.byteCount, fileSize: storage.count))
            }
        }
    }

    private static func readTensorInfo(number i: Int, cursor c: inout ByteCursor, alignment: Int,
                                       label: String) throws -> GGUFTensorInfo {
        let name = try c.string("name of tensor #\(i)")
        let nDims = try c.read(UInt32.self, "dimension count of tensor '\(name)'")
        guard nDims <= UInt32(maxDimensions) else {
            throw GGUFError(file: label, .badTensorInfo(tensor: name, detail: "\(nDims) dimensions (ggml has at most 4)"))
        }
        let raw = try c.array(of: UInt64.self, count: Int(nDims), "dimensions of tensor '\(name)'")
        var dims: [Int] = []
        var elements = 1
        for d in raw {
            guard let di = Int(exactly: d) else {
                throw GGUFError(file: label, .badTensorInfo(tensor: name, detail: "dimension \(d) is too large"))
            }
            let (p, overflow) = elements.multipliedReportingOverflow(by: di)
            guard !overflow else {
                throw GGUFError(file: label, .badTensorInfo(tensor: name, detail: "dimensions \(raw) overflow"))
            }
            elements = p
            dims.append(di)
        }
        let rawType = try c.read(UInt32.self, "type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw GGUFError(file: label, .unknownTensorType(tensor: name, type: rawType))
        }
        let offset = try c.read(UInt64.self, "data offset of tensor '\(name)'")
        let rowLength = dims.first ?? 1
        guard rowLength % type.blockSize == 0 else {
            throw GGUFError(file: label, .badTensorInfo(tensor: name, detail:
                "row length \(rowLength) is not a multiple of the \(type.name) block size \(type.blockSize)"))
        }
        let (bytes, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
        guard !overflow, let off = Int(exactly: offset) else {
            throw GGUFError(file: label, .tensorOutOfBounds(tensor: name, start: Int.max, byteCount: bytes, fileSize: c.bytes.count))
        }
        guard off % alignment == 0 else {
            throw GGUFError(file: label, .badTensorInfo(tensor: name, detail:
                "data offset \(off) is not a multiple of the alignment \(alignment)"))
        }
        return GGUFTensorInfo(name: name, type: type, dimensions: dims, offset: off, elementCount: elements, byteCount: bytes)
    }

    /// Reads one value of `type` (arrays recursively, at most `maxArrayDepth` deep).
    private static func readValue(_ type: GGUFValueType, key: String, cursor c: inout ByteCursor,
                                  depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try c.read(UInt8.self, "uint8 value of '\(key)'"))
        case .int8: return .int8(try c.read(Int8.self, "int8 value of '\(key)'"))
        case .uint16: return .uint16(try c.read(UInt16.self, "uint16 value of '\(key)'"))
        case .int16: return .int16(try c.read(Int16.self, "int16 value of '\(key)'"))
        case .uint32: return .uint32(try c.read(UInt32.self, "uint32 value of '\(key)'"))
        case .int32: return .int32(try c.read(Int32.self, "int32 value of '\(key)'"))
        case .uint64: return .uint64(try c.read(UInt64.self, "uint64 value of '\(key)'"))
        case .int64: return .int64(try c.read(Int64.self, "int64 value of '\(key)'"))
        case .float32: return .float32(Float(bitPattern: try c.read(UInt32.self, "float32 value of '\(key)'")))
        case .float64: return .float64(Double(bitPattern: try c.read(UInt64.self, "float64 value of '\(key)'")))
        case .bool:
            let b = try c.read(UInt8.self, "bool value of '\(key)'")
            guard b <= 1 else { throw GGUFError(file: c.file, .badValue(key: key, detail: "bool byte is \(b), not 0 or 1")) }
            return .bool(b == 1)
        case .string: return .string(try c.string("string value of '\(key)'"))
        case .array: return .array(try readArray(key: key, cursor: &c, depth: depth + 1))
        }
    }

    private static func readArray(key: String, cursor c: inout ByteCursor, depth: Int) throws -> GGUFArray {
        guard depth <= maxArrayDepth else { throw GGUFError(file: c.file, .nestingTooDeep(key: key, offset: c.offset)) }
        let typeOffset = c.offset
        let rawType = try c.read(UInt32.self, "array element type of '\(key)'")
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw GGUFError(file: c.file, .unknownValueType(key: key, type: rawType, offset: typeOffset))
        }
        let countOffset = c.offset
        let count64 = try c.read(UInt64.self, "array length of '\(key)'")
        // Smallest encoding of one element: strings 8 bytes, arrays 12, numbers their width.
        let minSize: UInt64 = switch type {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
        guard count64 <= UInt64(c.remaining) / minSize else {
            throw GGUFError(file: c.file, .countTooLarge(offset: countOffset, what: "elements in array '\(key)'", count: count64))
        }
        let n = Int(count64)
        let what = "elements of array '\(key)'"
        switch type {
        case .uint8: return .uint8(try c.array(of: UInt8.self, count: n, what))
        case .int8: return .int8(try c.array(of: Int8.self, count: n, what))
        case .uint16: return .uint16(try c.array(of: UInt16.self, count: n, what))
        case .int16: return .int16(try c.array(of: Int16.self, count: n, what))
        case .uint32: return .uint32(try c.array(of: UInt32.self, count: n, what))
        case .int32: return .int32(try c.array(of: Int32.self, count: n, what))
        case .uint64: return .uint64(try c.array(of: UInt64.self, count: n, what))
        case .int64: return .int64(try c.array(of: Int64.self, count: n, what))
        case .float32: return .float32(try c.array(of: UInt32.self, count: n, what).map { Float(bitPattern: $0) })
        case .float64: return .float64(try c.array(of: UInt64.self, count: n, what).map { Double(bitPattern: $0) })
        case .bool:
            let start = c.offset
            let raw = try c.array(of: UInt8.self, count: n, what)
            if let bad = raw.firstIndex(where: { $0 > 1 }) {
                throw GGUFError(file: c.file, .badValue(key: key, detail: "bool byte at offset \(start + bad) is \(raw[bad])"))
            }
            return .bool(raw.map { $0 == 1 })
        case .string:
            var out: [String] = []
            out.reserveCapacity(n)
            for i in 0..<n { out.append(try c.string("element \(i) of '\(key)'")) }
            return .string(out)
        case .array:
            var out: [GGUFArray] = []
            for _ in 0..<n { out.append(try readArray(key: key, cursor: &c, depth: depth + 1)) }
            return .array(out)
        }
    }

    /// The info of tensor `name`, or `missingTensor`.
    package func tensorInfo(_ name: String) throws -> GGUFTensorInfo {
        guard let i = tensorIndex[name] else { throw GGUFError(file: path, .missingTensor(name)) }
        return tensors[i]
    }

    /// True when the file has a tensor called `name`.
    package func hasTensor(_ name: String) -> Bool { tensorIndex[name] != nil }
}
