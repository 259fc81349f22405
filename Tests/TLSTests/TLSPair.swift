// TLSPair: a client TLSEngine wired to a server TLSEngine in memory. pump() moves
// ciphertext both ways until quiet, recording each side's plaintext and first error
// (a failed side still hands over its alert, as a real connection would).

import XCTest
@testable import TLS

final class TLSPair {
    let client: TLSEngine
    let server: TLSEngine
    var clientPlaintext: [UInt8] = []
    var serverPlaintext: [UInt8] = []
    var clientError: TLSError?
    var serverError: TLSError?

    init(client: TLSContext, server: TLSContext, serverName: String? = "localhost") throws {
        self.client = try TLSEngine(context: client, serverName: serverName)
        self.server = try TLSEngine(context: server)
    }

    func pump(maxRounds: Int = 1000) {
        for _ in 0..<maxRounds {
            step(client, &clientPlaintext, &clientError)
            let toServer = client.drainCiphertext()
            if !toServer.isEmpty { server.feedCiphertext(toServer) }
            step(server, &serverPlaintext, &serverError)
            let toClient = server.drainCiphertext()
            if !toClient.isEmpty { client.feedCiphertext(toClient) }
            if toServer.isEmpty && toClient.isEmpty {
                step(client, &clientPlaintext, &clientError)
                if client.pendingCiphertext == 0 { return }
            }
        }
        XCTFail("TLS pump did not settle")
    }

    private func step(_ engine: TLSEngine, _ plaintext: inout [UInt8], _ failure: inout TLSError?) {
        guard failure == nil else { return }
        do { plaintext += try engine.readPlaintext() } catch { failure = error }
    }
}
