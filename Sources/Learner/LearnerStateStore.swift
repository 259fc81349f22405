// The learner's durable state directory:
//   checkpoints/v-NNNNNNNN-s-NNNNNNNN/   MODEL.md checkpoints by version and step (+ learner
//                             state in trainer_state.json)
//   LATEST                    name of the newest complete checkpoint (atomic rename)
//   version-floor             highest version ever published (fsynced before announcing it)
//                             and highest step taken (fsynced before /status shows it)
//   wal/                      write-ahead log of acknowledged groups
// Restart = newest checkpoint + every logged group it has not trained; versions stay
// monotonic across restarts because the floor is durable before workers hear of a version.

import Foundation
import Policy
import Rollout
import Training

/// Learner-only state saved with each checkpoint.
package struct LearnerDurableState: Codable, Sendable, Equatable {
    package var leases: LeaseBook
    /// Every logged group with sequence < `trainedThrough` is in the checkpoint's weights.
    package var trainedThrough: UInt64
    /// The log's next sequence when the checkpoint was taken: groups at or after it were
    /// acknowledged later, so their leases must be completed again on replay.
    package var walNext: UInt64
    package var nextWorkerID: UInt64
    package var step: Int
    /// Groups trained into the checkpoint's weights (exactly-once accounting: trained +
    /// buffered = leases completed).
    package var groupsTrained: Int = 0

    package init(leases: LeaseBook, trainedThrough: UInt64, walNext: UInt64, nextWorkerID: UInt64, step: Int, groupsTrained: Int = 0) {
        self.leases = leases; self.trainedThrough = trainedThrough; self.walNext = walNext
        self.nextWorkerID = nextWorkerID; self.step = step; self.groupsTrained = groupsTrained
    }
}

/// Paths and atomic small-file writes of the state directory.
package struct LearnerStateStore: Sendable {
    package let root: URL
    package init(root: URL) { self.root = root }

    package var checkpoints: URL { root.appendingPathComponent("checkpoints") }
    package var walDirectory: URL { root.appendingPathComponent("wal") }
    var latestFile: URL { root.appendingPathComponent("LATEST") }
    var floorFile: URL { root.appendingPathComponent("version-floor") }

    /// A new directory for the checkpoint of `step`: named by version and step, plus `-N` when
    /// that step was checkpointed before (the shutdown checkpoint after a periodic one). A
    /// checkpoint never replaces a directory, so LATEST always names one that exists; steps
    /// without an optimizer step keep the version, hence the step in the name. The names sort
    /// in the order they were written.
    package func newCheckpointDirectory(version: PolicyVersion, step: Int) -> URL {
        let base = String(format: "v-%08llu-s-%08d", version.rawValue, step)
        var dir = checkpoints.appendingPathComponent(base)
        var n = 1
        while FileManager.default.fileExists(atPath: dir.path) {
            dir = checkpoints.appendingPathComponent("\(base)-\(n)")
            n += 1
        }
        return dir
    }

    /// The newest complete checkpoint, if any.
    package func latestCheckpoint() -> URL? {
        guard let name = try? String(contentsOf: latestFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
              !name.isEmpty else { return nil }
        let dir = checkpoints.appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent(Checkpoint.modelFile).path) ? dir : nil
    }

    /// Points LATEST at `dir` and removes older checkpoints beyond `keep`.
    package func markLatest(_ dir: URL, keep: Int = 2) throws {
        try writeAtomically(Data(dir.lastPathComponent.utf8), to: latestFile)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? [])
            .filter { $0.hasPrefix("v-") }.sorted()
        for old in names.dropLast(keep) where old != dir.lastPathComponent {
            try? FileManager.default.removeItem(at: checkpoints.appendingPathComponent(old))
        }
    }

    /// (version, step) of the highest version ever published.
    package func versionFloor() -> (version: PolicyVersion, step: Int) {
        guard let s = try? String(contentsOf: floorFile, encoding: .utf8) else { return (.initial, 0) }
        let parts = s.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 2, let v = UInt64(parts[0]), let step = Int(parts[1]) else { return (.initial, 0) }
        return (PolicyVersion(v), step)
    }

    /// Raises the floor to at least (`version`, `step`), each part separately, and makes it
    /// durable; it never goes down. The training thread records every step here before /status
    /// shows it, and the publisher every version before announcing it: whichever comes second
    /// for the same figures finds nothing to write.
    package func setVersionFloor(version: PolicyVersion, step: Int) throws {
        try Self.floorLock.withLock {
            let old = versionFloor()
            let exists = FileManager.default.fileExists(atPath: floorFile.path)
            let v = max(old.version, version), s = max(old.step, step)
            guard !exists || v != old.version || s != old.step else { return }
            try writeAtomically(Data("\(v) \(s)\n".utf8), to: floorFile)
        }
    }

    /// Serialises floor updates of the process (the training and publisher threads).
    private static let floorLock = NSLock()

    /// Write to a temporary file, fsync it, rename over, fsync the directory.
    func writeAtomically(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: tmp.path, contents: data) else {
            throw RunError("cannot write \(tmp.path)")
        }
        let fd = open(tmp.path, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
        guard rename(tmp.path, url.path) == 0 else {
            throw RunError("cannot rename \(tmp.path) to \(url.path): \(String(cString: strerror(errno)))")
        }
        let dfd = open(dir.path, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }
}
