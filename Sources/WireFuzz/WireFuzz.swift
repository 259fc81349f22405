// Fuzz harness for the wire deframer and message decoders (`make fuzz`).
//
// Built normally it is a corpus replayer: `WireFuzz FILE...` runs each file through
// `Wire.fuzzOne`, so crashes found by the fuzzer become regression inputs. Built with
// `-sanitize=fuzzer,address -D FUZZING` it is a libFuzzer target (`make fuzz`).

import Wire
import Foundation

#if FUZZING
/// libFuzzer's callback: one input through every decoder.
private let testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { data, count in
    guard let data else { return 0 }
    fuzzOne(UnsafeRawBufferPointer(start: data, count: count))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point as `<Target>_main`; hand control to libFuzzer's driver.
@_cdecl("WireFuzz_main")
package func wireFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runDriver(&argc, &argv, testOneInput)
}
#else
@main
struct WireFuzzReplay {
    static func main() {
        var replayed = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                FileHandle.standardError.write(Data("WireFuzz: no such file \(path)\n".utf8)); exit(2)
            }
            let files = isDir.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).map { "\(path)/\($0)" }
                : [path]
            for f in files {
                guard let data = FileManager.default.contents(atPath: f) else { continue }
                data.withUnsafeBytes { fuzzOne($0) }
                replayed += 1
            }
        }
        print("WireFuzz: replayed \(replayed) inputs without a crash")
    }
}
#endif
