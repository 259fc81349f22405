// TestPKI: throw-away certificates made with the `openssl` command-line tool at test
// time (docs/tls.md explains the commands): a CA, a server certificate for localhost /
// 127.0.0.1, a client certificate for mTLS, and a second, unrelated CA with its own client.

import Foundation

struct TestPKI {
    let directory: URL

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Creates the files once per process (key generation is quick, but there is no need to repeat it).
    nonisolated(unsafe) static var shared: Result<TestPKI, Error>?
    static func make() throws -> TestPKI {
        if let shared { return try shared.get() }
        let result = Result { try TestPKI(fresh: ()) }
        shared = result
        return try result.get()
    }

    private init(fresh: Void) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
        for ca in ["ca", "otherca"] {
            try run(["req", "-x509"] + ec + ["-subj", "/CN=Tributary Test \(ca)", "-keyout", path("\(ca).key"), "-out", path("\(ca).pem")])
        }
        try run(["req", "-x509"] + ec + ["-subj", "/CN=localhost",
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                 "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth",
                 "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                 "-keyout", path("server.key"), "-out", path("server.pem")])
        for (name, ca) in [("client", "ca"), ("otherclient", "otherca")] {
            try run(["req", "-x509"] + ec + ["-subj", "/CN=worker-\(name)",
                     "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=clientAuth",
                     "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"),
                     "-keyout", path("\(name).key"), "-out", path("\(name).pem")])
        }
    }

    private func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw NSError(domain: "TestPKI", code: Int(process.terminationStatus), userInfo: [
                NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))",
            ])
        }
    }
}
