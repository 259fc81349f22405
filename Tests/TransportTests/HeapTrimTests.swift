// releaseFreeHeapMemory (glibc malloc_trim, found at run time): freed heap blocks that glibc
// keeps in its arenas go back to the system.

import Foundation
@testable import Transport
import XCTest

final class HeapTrimTests: XCTestCase {
    func testTrimReturnsFreedHeapMemory() throws {
        #if !canImport(Glibc)
        throw XCTSkip("glibc only")
        #else
        // A freed large block raises glibc's mmap threshold, so the next ones come from the heap.
        var first: [UInt8]? = [UInt8](repeating: 1, count: 1 << 20)
        XCTAssertEqual(first?.count, 1 << 20)
        first = nil
        var blocks: [[UInt8]] = (0..<128).map { [UInt8](repeating: UInt8($0 & 0xff), count: 512 << 10) }
        // Small live allocations between them keep the heap from shrinking at its top.
        var pins: [[UInt8]] = []
        for i in stride(from: 0, to: blocks.count, by: 16) { pins.append([UInt8](repeating: UInt8(i & 0xff), count: 64)) }
        let full = residentBytes()
        blocks.removeAll()
        let freed = residentBytes()
        releaseFreeHeapMemory()
        let trimmed = residentBytes()
        print("heap trim: RSS with blocks \(full >> 20) MiB, freed \(freed >> 20) MiB, trimmed \(trimmed >> 20) MiB")
        XCTAssertLessThan(trimmed, full - (32 << 20), "the trim handed back most of the 64 MiB freed")
        XCTAssertEqual(pins.count, 8)
        #endif
    }
}
