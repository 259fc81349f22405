// ConnectionManager as a pure state machine on a manual clock: every timer fires exactly
// when due (and not before), graceful drain phases, and the frame scanner behind the
// header-completion timer.

@testable import Transport
import XCTest

final class ConnectionManagerTests: XCTestCase {
    func manager(_ f: (inout ConnectionTimeouts) -> Void = { _ in }) -> ConnectionManager {
        var t = ConnectionTimeouts()
        f(&t)
        var m = ConnectionManager(timeouts: t, now: 0)
        m.settingsAcknowledged()
        return m
    }

    func testSettingsAckTimeout() {
        var m = ConnectionManager(timeouts: ConnectionTimeouts(), now: 0)
        XCTAssertEqual(m.tick(now: 9.9), [])
        XCTAssertEqual(m.tick(now: 10), [.sendGoAway(.settingsTimeout), .close(.settingsTimeout)])
        XCTAssertEqual(m.tick(now: 20), [], "closed connections do nothing")
        var acked = ConnectionManager(timeouts: ConnectionTimeouts(), now: 0)
        acked.settingsAcknowledged()
        XCTAssertEqual(acked.tick(now: 10), [])
    }

    func testIdleTimeoutOnlyWithoutStreams() {
        var m = manager { $0.streamInactivity = 1000 }
        m.streamOpened(1, now: 1)
        XCTAssertEqual(m.tick(now: 299), [])
        m.streamActivity(1, now: 250)
        m.streamClosed(1, now: 300)
        XCTAssertEqual(m.tick(now: 599), [])
        XCTAssertEqual(m.tick(now: 600), [.sendGoAway(.noError), .close(.idleTimeout)])
    }

    func testStreamInactivityWithPerRouteOverride() {
        var m = manager()
        m.streamOpened(1, now: 0)
        m.streamOpened(3, timeout: 600, now: 0) // a watch stream
        m.streamActivity(1, now: 30)
        XCTAssertEqual(m.tick(now: 89), [])
        XCTAssertEqual(m.tick(now: 90), [.resetStream(1)])
        XCTAssertEqual(m.tick(now: 91), [], "reset once")
        XCTAssertEqual(m.tick(now: 599), [])
        XCTAssertEqual(m.tick(now: 600), [.resetStream(3)])
        XCTAssertEqual(m.openStreams, 0)
    }

    func testHeaderCompletionTimeout() {
        var m = manager()
        m.headerBlock(pending: true, now: 5)
        m.headerBlock(pending: true, now: 8) // still the same block: the clock does not restart
        XCTAssertEqual(m.tick(now: 14.9), [])
        XCTAssertEqual(m.tick(now: 15), [.sendGoAway(.enhanceYourCalm), .close(.headerTimeout)])
        var done = manager()
        done.headerBlock(pending: true, now: 5)
        done.headerBlock(pending: false, now: 6)
        XCTAssertEqual(done.tick(now: 100), [])
    }

    func testWriteStall() {
        var m = manager()
        m.streamOpened(1, now: 0)
        m.writability(false, now: 10)
        m.writability(true, now: 20)
        m.streamActivity(1, now: 20)
        XCTAssertEqual(m.tick(now: 45), [])
        m.writability(false, now: 50)
        XCTAssertEqual(m.tick(now: 79), [])
        XCTAssertEqual(m.tick(now: 80), [.close(.writeStall)])
    }

    func testFlowControlStallResetsTheStreamAfterWriteStall() {
        var m = manager { $0.writeStall = 30 }
        m.streamOpened(1, now: 0)
        m.streamOpened(3, now: 0)
        m.streamOpened(5, now: 0)
        m.flowControl(1, blocked: true, now: 10)
        m.flowControl(1, blocked: true, now: 20)   // still the same stall: the clock does not restart
        m.flowControl(3, blocked: true, now: 10)
        m.flowControl(3, blocked: false, now: 25)  // its window opened
        m.flowControl(3, blocked: true, now: 26)
        m.streamActivity(1, now: 39)               // request bytes do not end a flow-control stall
        XCTAssertEqual(m.blockedStreams, 2)
        XCTAssertEqual(m.tick(now: 39.9), [])
        XCTAssertEqual(m.tick(now: 40), [.resetStalledStream(1)])
        XCTAssertEqual(m.tick(now: 41), [], "reset once")
        XCTAssertEqual(m.tick(now: 56), [.resetStalledStream(3)])
        XCTAssertEqual(m.openStreams, 1)
        XCTAssertEqual(m.blockedStreams, 0)
        m.flowControl(9, blocked: true, now: 56)   // not an open stream: ignored
        m.streamClosed(5, now: 57)
        XCTAssertEqual(m.blockedStreams, 0)
        XCTAssertEqual(m.tick(now: 356), [], "the idle timer restarted when the last stream closed")
        XCTAssertEqual(m.tick(now: 357), [.sendGoAway(.noError), .close(.idleTimeout)])
    }

    func testAClosedStreamForgetsItsStall() {
        var m = manager { $0.writeStall = 5 }
        m.streamOpened(1, now: 0)
        m.flowControl(1, blocked: true, now: 0)
        m.streamClosed(1, now: 1)
        m.streamOpened(1, now: 2)                  // (ids are not reused in HTTP/2; the table must not care)
        XCTAssertEqual(m.tick(now: 6), [])
    }

    func testMaxAgeDrainsGracefully() {
        var m = manager { $0.idle = 10_000; $0.streamInactivity = 10_000 }
        m.streamOpened(1, now: 1)
        XCTAssertEqual(m.tick(now: 1799), [])
        XCTAssertEqual(m.tick(now: 1800), [.sendShutdownNotice])
        XCTAssertTrue(m.isDraining)
        XCTAssertEqual(m.tick(now: 1801), [.sendGoAway(.noError)])
        XCTAssertEqual(m.tick(now: 1820), [], "the stream still runs within the grace period")
        XCTAssertEqual(m.tick(now: 1830), [.close(.maxAge)], "forced at max age + grace")
    }

    func testDrainClosesAsSoonAsStreamsEnd() {
        var m = manager()
        m.streamOpened(1, now: 0)
        XCTAssertEqual(m.beginDrain(now: 10, grace: 30, reason: .shuttingDown), [.sendShutdownNotice])
        XCTAssertEqual(m.beginDrain(now: 10, grace: 30, reason: .shuttingDown), [], "only once")
        XCTAssertEqual(m.tick(now: 11), [.sendGoAway(.noError)])
        m.streamClosed(1, now: 12)
        XCTAssertEqual(m.tick(now: 12), [.close(nil)])
    }

    func testValidation() {
        var t = ConnectionTimeouts()
        t.idle = 0
        XCTAssertThrowsError(try t.validate()) { error in
            XCTAssertTrue("\(error)".contains("idle"))
        }
    }

    func testFrameScannerTracksHeaderBlocks() {
        var s = FrameScanner(skipPreface: true)
        func feed(_ b: [UInt8]) { b.withUnsafeBytes { s.scan($0) } }
        feed(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8))
        feed([0, 0, 0, 0x4, 0, 0, 0, 0, 0]) // empty SETTINGS
        XCTAssertFalse(s.inHeaderBlock)
        feed([0, 0, 3, 0x1, 0x0, 0, 0, 0, 1]) // HEADERS without END_HEADERS, 3 bytes
        XCTAssertTrue(s.inHeaderBlock)
        feed([1, 2, 3])
        XCTAssertTrue(s.inHeaderBlock)
        feed([0, 0, 2, 0x9, 0x4, 0, 0, 0]) // CONTINUATION with END_HEADERS, header split
        feed([1])
        XCTAssertTrue(s.inHeaderBlock)
        feed([7])
        XCTAssertTrue(s.inHeaderBlock, "payload not complete yet")
        feed([8])
        XCTAssertFalse(s.inHeaderBlock)
        feed([0, 0, 1, 0x1, 0x5, 0, 0, 0, 3, 9]) // complete HEADERS in one frame
        XCTAssertFalse(s.inHeaderBlock)
    }
}
