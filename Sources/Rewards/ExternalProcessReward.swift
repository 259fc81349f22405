// External rewards from a pool of verifier programs speaking JSON lines (ExternalWire.swift).
// Each process serves one call at a time; a batch is split into calls of `maxBatch` samples
// spread over the pool. A process that times out, crashes, prints garbage or answers with a
// wrong id or count is killed; its slot restarts it on the next call after an exponential
// back-off. Every sample gets an outcome; failures are counted per kind.

/// A pool of `config.processes` verifier programs.
package actor ExternalProcessReward: BatchRewardSource {
    package nonisolated let label: String
    package nonisolated let config: ExternalProcessConfig

    private struct Slot {
        var process: VerifierProcess?
        var busy = false
        /// Failed calls or starts since the last good call (drives the back-off).
        var failures = 0
    }

    private var slots: [Slot]
    private var waiters: [CheckedContinuation<Int, Never>] = []
    private var counts = FailureCounts()
    private var nextID = 0
    private let sleep: @Sendable (Duration) async -> Void
    /// Processes started so far (first starts and restarts).
    package private(set) var launches = 0
    /// Every back-off delay waited, in order (for tests and logs).
    package private(set) var backoffs: [Duration] = []
    /// Processes replaced because they had used 80 % of `limits.cpuSeconds` (not failures).
    package private(set) var recycled = 0

    /// - Parameter sleep: how back-off delays are waited; tests pass one that only records.
    package init(label: String = "external", config: ExternalProcessConfig,
                sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }) {
        self.label = label
        self.config = config
        self.sleep = sleep
        self.slots = Array(repeating: Slot(), count: max(1, config.processes))
    }

    package func score(_ inputs: [RewardInput]) async -> [ExternalOutcome] {
        let batch = config.lineProtocol == .batch ? config.maxBatch : max(1, config.maxBatch)
        let (outcomes, events) = await BatchDriver.run(inputs, maxBatch: batch, policy: config.policy) { chunk in
            await self.attempt(chunk)
        }
        counts.merge(events)
        return outcomes
    }

    package func failureCounts() -> FailureCounts { counts }

    deinit {
        for s in slots { s.process?.kill(reason: RewardFailure(kind: .crashed, message: "reward \(label): pool released")) }
    }

    package func shutdown() {
        for i in slots.indices {
            slots[i].process?.kill(reason: RewardFailure(kind: .crashed, message: "reward \(label): shut down"))
            slots[i].process = nil
        }
    }

    // MARK: - Calls

    private func attempt(_ chunk: ArraySlice<RewardInput>) async -> AttemptResult {
        let slot = await acquire()
        defer { release(slot) }
        switch config.lineProtocol {
        case .batch:
            return await call(slot: slot, count: chunk.count, rows: chunk.map(\.row.line)) { id in
                ExternalWire.batchRequest(id: id, inputs: chunk)
            }
        case .single:
            var out = AttemptResult(results: [])
            for input in chunk {
                let one = await call(slot: slot, count: 1, rows: [input.row.line]) { id in
                    ExternalWire.singleRequest(id: id, input: input)
                }
                out.results += one.results
                out.events.merge(one.events)
            }
            return out
        }
    }

    /// One request on the slot's process (started or restarted first), decoded.
    private func call(slot: Int, count: Int, rows: [Int?], line: (Int) -> [UInt8]) async -> AttemptResult {
        let process: VerifierProcess
        switch await running(slot) {
        case let .success(p): process = p
        case let .failure(f): return .callFailed(f, count: count)
        }
        nextID += 1
        let id = nextID
        switch await process.call(line(id), timeout: config.timeout) {
        case let .failure(f):
            retire(slot, process, reason: f)
            return .callFailed(f, count: count)
        case let .success(bytes):
            let result = ExternalWire.decode(bytes, id: id, count: count, source: label, rows: rows)
            if let f = result.callFailure {
                // A protocol violation (garbage, wrong id or count): the program's state is unknown.
                retire(slot, process, reason: f)
            } else {
                slots[slot].failures = 0
            }
            return result
        }
    }

    /// The slot's live process, starting one (after the back-off) when there is none.
    private func running(_ slot: Int) async -> Result<VerifierProcess, RewardFailure> {
        if let p = slots[slot].process {
            if p.isRunning, !nearCPULimit(p) { return .success(p) }
            if p.isRunning {
                // RLIMIT_CPU counts the process's lifetime: replace it before it is killed mid-call.
                p.kill(reason: RewardFailure(kind: .crashed, message: "reward \(label): recycled near its CPU limit"))
                recycled += 1
            } else if let f = p.exitReason {
                // It died between calls (a crash while idle): count it and back off.
                counts.record(f)
                slots[slot].failures += 1
            }
        }
        slots[slot].process = nil
        let delay = config.backoff.delay(afterFailures: slots[slot].failures)
        if delay > .zero {
            backoffs.append(delay)
            await sleep(delay)
        }
        do {
            let p = try VerifierProcess.launch(
                command: config.command, limits: config.limits, discardStderr: config.discardStderr,
                environment: config.environment, label: label)
            launches += 1
            slots[slot].process = p
            return .success(p)
        } catch {
            slots[slot].failures += 1
            return .failure(error)
        }
    }

    private func nearCPULimit(_ p: VerifierProcess) -> Bool {
        guard let limit = config.limits.cpuSeconds, let used = p.cpuSecondsUsed else { return false }
        return used >= 0.8 * Double(limit)
    }

    private func retire(_ slot: Int, _ process: VerifierProcess, reason: RewardFailure) {
        process.kill(reason: reason)
        if slots[slot].process === process { slots[slot].process = nil }
        slots[slot].failures += 1
    }

    // MARK: - Slots

    private func acquire() async -> Int {
        if let free = slots.firstIndex(where: { !$0.busy }) {
            slots[free].busy = true
            return free
        }
        return await withCheckedContinuation { waiters.append($0) }  // handed over busy by `release`
    }

    private func release(_ slot: Int) {
        if waiters.isEmpty { slots[slot].busy = false } else { waiters.removeFirst().resume(returning: slot) }
    }
}
