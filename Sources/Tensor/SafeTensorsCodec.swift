// Byte-level encoding and decoding of safetensors (header JSON + data section),
// with full validation on the way in. See SafeTensors.swift for the format.

import Foundation

extension SafeTensorsFile {
    /// Largest header accepted (the reference implementation uses 100 MB as well).
    static let maxHeaderBytes = 100_000_000

    /// Parses and validates a whole file held in `bytes`; `label` names it in errors.
    public static func parse(_ bytes: [UInt8], label: String) throws -> SafeTensorsFile {
        func fail(_ k: SafeTensorsError.Kind) -> SafeTensorsError { SafeTensorsError(file: label, k) }
        guard bytes.count >= 8 else {
            throw fail(.truncated("file has \(bytes.count) bytes, fewer than the 8-byte header length"))
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(maxHeaderBytes) else { throw fail(.badHeader("header length \(n) exceeds \(maxHeaderBytes)")) }
        let headerLen = Int(n)
        guard 8 + headerLen <= bytes.count else {
            throw fail(.truncated("header declares \(headerLen) bytes but only \(bytes.count - 8) follow"))
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLen)]), options: [])
        } catch {
            throw fail(.badHeader("header is not valid JSON"))
        }
        guard let header = json as? [String: Any] else { throw fail(.badHeader("header is not a JSON object")) }
        let dataStart = 8 + headerLen
        let dataLen = bytes.count - dataStart
        var file = SafeTensorsFile(label: label)
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else {
                    throw fail(.badHeader("__metadata__ is not an object"))
                }
                for (k, v) in meta {
                    guard let s = v as? String else { throw fail(.badHeader("__metadata__['\(k)'] is not a string")) }
                    file.metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail(.badHeader("entry '\(name)' is not an object")) }
            guard let dtypeName = entry["dtype"] as? String else {
                throw fail(.badHeader("entry '\(name)' has no dtype string"))
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw fail(.unsupportedDType(tensor: name, dtype: dtypeName))
            }
            guard let shapeAny = entry["shape"] as? [Any], let shape = intArray(shapeAny), shape.allSatisfy({ $0 >= 0 })
            else { throw fail(.badHeader("entry '\(name)' has no valid shape (array of non-negative integers)")) }
            guard let offAny = entry["data_offsets"] as? [Any], let offs = intArray(offAny), offs.count == 2 else {
                throw fail(.badHeader("entry '\(name)' has no valid data_offsets (two integers)"))
            }
            let (begin, end) = (offs[0], offs[1])
            guard begin >= 0, begin <= end else {
                throw fail(.offsetsOutOfRange(tensor: name, detail: "begin \(begin) > end \(end) or negative"))
            }
            guard end <= dataLen else {
                throw fail(.offsetsOutOfRange(tensor: name,
                                              detail: "end \(end) beyond the \(dataLen)-byte data section"))
            }
            var elements = 1
            for d in shape {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw fail(.badHeader("entry '\(name)' shape \(shape) overflows")) }
                elements = p
            }
            guard end - begin == elements * dtype.size else {
                throw fail(.offsetsOutOfRange(tensor: name, detail:
                    "\(end - begin) bytes but shape \(shape) of \(dtype.rawValue) needs \(elements * dtype.size)"))
            }
            let slice = Array(bytes[(dataStart + begin)..<(dataStart + end)])
            file.tensors[name] = TensorData(dtype: dtype, shape: shape, bytes: slice)
        }
        return file
    }

    private static func intArray(_ a: [Any]) -> [Int]? {
        var out: [Int] = []
        out.reserveCapacity(a.count)
        for x in a {
            if let i = x as? Int { out.append(i); continue }
            if let d = x as? Double, d == d.rounded(), abs(d) < 9e15 { out.append(Int(d)); continue }
            return nil
        }
        return out
    }

    /// The file's bytes: tensors in sorted-name order, header padded with spaces to 8 bytes.
    public func serialized() -> [UInt8] {
        let names = tensors.keys.sorted()
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
                .joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            if !first { header += "," }
            first = false
            let shape = t.shape.map(String.init).joined(separator: ",")
            header += "\(jsonString(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],"
            header += "\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}"
            offset += t.bytes.count
        }
        header += "}"
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + h.count + offset)
        let n = UInt64(h.count)
        for i in 0..<8 { out.append(UInt8((n >> (8 * UInt64(i))) & 0xFF)) }
        out += h
        for name in names { out += tensors[name]!.bytes }
        return out
    }
}

/// A JSON string literal for `s` (quotes, backslashes and control characters escaped).
func jsonString(_ s: String) -> String {
    var r = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": r += "\\\""
        case "\\": r += "\\\\"
        case "\n": r += "\\n"
        case "\r": r += "\\r"
        case "\t": r += "\\t"
        default:
            if u.value < 0x20 { r += String(format: "\\u%04x", u.value) } else { r.unicodeScalars.append(u) }
        }
    }
    return r + "\""
}
