// Fuzzing entry point (wired to a libFuzzer target by the lead): any input must end in
// a value or a typed error, never a trap, hang or unbounded allocation.

/// Runs `data` through every decoder and through a deframer (whole and split in two).
/// Usage from a libFuzzer harness:
/// `@_cdecl("LLVMFuzzerTestOneInput") func f(_ p: UnsafePointer<UInt8>, _ n: Int) -> CInt {
///     Wire.fuzzOne(UnsafeRawBufferPointer(start: p, count: n)); return 0 }`
public func fuzzOne(_ data: UnsafeRawBufferPointer) {
    for kind in MessageKind.allCases {
        // Re-stamp the header with each kind so every decoder sees the field bytes.
        var stamped = Array(data)
        if stamped.count >= 2 {
            stamped[0] = UInt8(kind.rawValue & 0xFF)
            stamped[1] = UInt8(kind.rawValue >> 8)
        }
        _ = try? kind.messageType.decode(stamped)
    }
    _ = try? decodeAnyMessage(data)
    _ = try? StatusTrailers.status(from: [(StatusTrailers.statusName, String(decoding: data, as: UTF8.self))])
    _ = StatusTrailers.percentDecode(String(decoding: data, as: UTF8.self))

    var whole = Deframer(maxMessageBytes: WireProtocol.maxControlMessageBytes)
    let frames = (try? whole.feed(data)) ?? []
    for f in frames { _ = try? decodeAnyMessage(f.payload) }
    _ = try? whole.finish()

    var split = Deframer(maxMessageBytes: WireProtocol.maxControlMessageBytes)
    let cut = data.isEmpty ? 0 : Int(data[0]) % (data.count + 1)
    _ = try? split.feed(UnsafeRawBufferPointer(rebasing: data[0 ..< cut]))
    _ = try? split.feed(UnsafeRawBufferPointer(rebasing: data[cut...]))
    _ = try? split.finish()
}

/// Decodes any message kind from a byte array (see `decodeAnyMessage(_:)`).
public func decodeAnyMessage(_ bytes: [UInt8]) throws(WireError) -> any WireMessage {
    var result: Result<any WireMessage, WireError> = .failure(.truncated(message: "message header", offset: 0, need: 4, have: 0))
    bytes.withUnsafeBytes { raw in
        do throws(WireError) { result = .success(try decodeAnyMessage(raw)) } catch { result = .failure(error) }
    }
    return try result.get()
}
