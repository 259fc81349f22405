// ByteLevel: GPT-2's reversible byte ↔ printable-character map. Byte-level BPE vocabularies
// spell every byte as one visible character (space → "Ġ", newline → "Ċ"), so a token string
// is the byte-mapped form of its bytes.

/// The GPT-2 byte ↔ character map.
enum ByteLevel {
    /// Byte → the Unicode scalar that spells it in the vocabulary.
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return table
    }()

    /// Scalar value → byte, for the 256 scalars of `byteToScalar`.
    static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    /// The vocabulary spelling of raw bytes.
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }

    /// The bytes a token string stands for, as Hugging Face's ByteLevel decoder does: every
    /// character mapped back to its byte, or, if any character is outside the map (added tokens
    /// such as `<| x |>` with a real space), the token's own UTF-8 bytes.
    static func decode(_ token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for s in token.unicodeScalars {
            guard let b = scalarToByte[s.value] else { return Array(token.utf8) }
            out.append(b)
        }
        return out
    }
}
