// Configuration of external rewards: a pool of verifier programs (`name="external"`) or a
// reward server (`name="http"`), read from a `RewardSpec`'s options; limits applied to the
// programs; the failure policy and the restart back-off.

import Foundation

/// How a failed sample is scored.
package enum FailurePolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reward 0, not correct, status `.failed`.
    case zero
    /// The failed samples are sent once more (after a restart if the program died); if they
    /// fail again, as `zero`.
    case retryOnce = "retry_once"
}

/// Resource limits set on a verifier process between fork and exec. nil: inherited.
package struct ProcessLimits: Sendable, Hashable {
    /// RLIMIT_CPU: CPU seconds over the process's lifetime (SIGXCPU, then SIGKILL a second later).
    package var cpuSeconds: Int?
    /// RLIMIT_AS: address space in bytes (allocations beyond it fail).
    package var addressSpaceBytes: Int?
    /// RLIMIT_NOFILE: open file descriptors.
    package var openFiles: Int?
    /// prctl(PR_SET_NO_NEW_PRIVS): exec cannot gain privileges (setuid, file capabilities).
    package var noNewPrivileges: Bool

    package init(cpuSeconds: Int? = 600, addressSpaceBytes: Int? = 4 << 30, openFiles: Int? = 256, noNewPrivileges: Bool = true) {
        self.cpuSeconds = cpuSeconds
        self.addressSpaceBytes = addressSpaceBytes
        self.openFiles = openFiles
        self.noNewPrivileges = noNewPrivileges
    }
}

/// Restart delays: `initial · 2^(n-1)` before the n-th consecutive restart, capped at `maximum`.
package struct Backoff: Sendable, Hashable {
    package var initial: Duration
    package var maximum: Duration

    package init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before a start that follows `failures` consecutive failures (0 → none).
    package func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        let factor = 1 << min(failures - 1, 30)
        return min(maximum, initial * factor)
    }
}

/// Which line format the verifier program speaks.
package enum ExternalProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    /// `{"id", "samples": [...]}` → `{"id", "rewards": [...], "correct": [...]}`.
    case batch
    /// Today's one-sample lines `{"id", "prompt", "answer", "completion"}` → `{"id", "reward", "correct"}`.
    case single
}

/// A pool of verifier processes.
package struct ExternalProcessConfig: Sendable, Hashable {
    /// The program and its arguments; a program without `/` is looked up in PATH.
    package var command: [String]
    /// Processes in the pool (calls in flight at once).
    package var processes: Int = 1
    /// Samples per request line at most; larger batches are split.
    package var maxBatch: Int = 64
    /// Per call (one request line): no answer within it → `timeout`, the process is killed.
    package var timeout: Duration = .seconds(30)
    package var limits = ProcessLimits()
    package var backoff = Backoff()
    package var policy: FailurePolicy = .zero
    package var lineProtocol: ExternalProtocol = .batch
    /// Send the program's stderr to /dev/null instead of the worker's stderr.
    package var discardStderr = false
    /// The program's environment; nil: the worker's (which may hold secrets such as tokens:
    /// set this, or `env` in the spec, to give the program only what it needs).
    package var environment: [String: String]?

    package init(command: [String]) { self.command = command }
}

/// A reward server.
package struct HTTPRewardConfig: Sendable, Hashable {
    /// `http://` or `https://` URL the batch is POSTed to.
    package var url: String
    package var timeout: Duration = .seconds(30)
    /// Further attempts after a timeout, an unreachable server or a 5xx status.
    package var retries: Int = 2
    package var maxBatch: Int = 64
    package var backoff = Backoff()
    package var policy: FailurePolicy = .zero
    /// Extra request headers (e.g. authorization).
    package var headers: [String: String] = [:]

    package init(url: String) { self.url = url }
}

extension RewardSpec {
    /// The process-pool configuration of an `external` reward.
    ///
    /// Options: `command` (list of strings, required), `processes`, `batch`, `timeout` (seconds),
    /// `cpu_seconds`, `memory_mb`, `open_files` (0 = inherit), `no_new_privileges`, `policy`
    /// (`zero` | `retry_once`), `protocol` (`batch` | `single`), `backoff` and `backoff_max`
    /// (seconds), `stderr` (`inherit` | `discard`), `env` (object of strings: the program's whole
    /// environment, plus the worker's PATH and HOME unless given).
    package func externalProcessConfig() throws(RewardSpecError) -> ExternalProcessConfig {
        var o = OptionReader(spec: self)
        guard let command = try o.strings("command") else { throw .missingOption(reward: label, option: "command") }
        var c = ExternalProcessConfig(command: command)
        c.processes = try o.int("processes", atLeast: 1) ?? c.processes
        c.maxBatch = try o.int("batch", atLeast: 1) ?? c.maxBatch
        if let t = try o.number("timeout", atLeast: 0.001) { c.timeout = .seconds(t) }
        let zeroIsNil: (Int?, Int?) -> Int? = { v, d in v.map { $0 == 0 ? nil : $0 } ?? d }
        c.limits.cpuSeconds = zeroIsNil(try o.int("cpu_seconds", atLeast: 0), c.limits.cpuSeconds)
        c.limits.addressSpaceBytes = zeroIsNil(try o.int("memory_mb", atLeast: 0).map { $0 << 20 }, c.limits.addressSpaceBytes)
        c.limits.openFiles = zeroIsNil(try o.int("open_files", atLeast: 0), c.limits.openFiles)
        c.limits.noNewPrivileges = try o.bool("no_new_privileges") ?? true
        c.policy = try o.choice("policy", default: c.policy)
        c.lineProtocol = try o.choice("protocol", default: c.lineProtocol)
        if let b = try o.number("backoff", atLeast: 0) { c.backoff.initial = .seconds(b) }
        if let b = try o.number("backoff_max", atLeast: 0) { c.backoff.maximum = .seconds(b) }
        if let s = try o.string("stderr") {
            guard s == "inherit" || s == "discard" else {
                throw .badOption(reward: label, option: "stderr", expected: "\"inherit\" or \"discard\"", found: "\"\(s)\"")
            }
            c.discardStderr = s == "discard"
        }
        if let e = o.take("env") {
            guard let obj = e.objectValue else { throw o.bad("env", "an object of strings", e) }
            let inherited = ProcessInfo.processInfo.environment
            var env = ["PATH": inherited["PATH"], "HOME": inherited["HOME"]].compactMapValues { $0 }
            for (k, v) in obj {
                guard let s = v.stringValue else { throw o.bad("env", "an object of strings", e) }
                env[k] = s
            }
            c.environment = env
        }
        try o.finish()
        return c
    }

    /// The configuration of an `http` reward. Options: `url` (required), `timeout` (seconds),
    /// `retries`, `batch`, `policy`, `backoff`, `backoff_max`, `headers` (object of strings).
    package func httpConfig() throws(RewardSpecError) -> HTTPRewardConfig {
        var o = OptionReader(spec: self)
        let url = try o.requiredString("url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw .badOption(reward: label, option: "url", expected: "an http:// or https:// URL", found: "\"\(url)\"")
        }
        var c = HTTPRewardConfig(url: url)
        if let t = try o.number("timeout", atLeast: 0.001) { c.timeout = .seconds(t) }
        c.retries = try o.int("retries", atLeast: 0) ?? c.retries
        c.maxBatch = try o.int("batch", atLeast: 1) ?? c.maxBatch
        c.policy = try o.choice("policy", default: c.policy)
        if let b = try o.number("backoff", atLeast: 0) { c.backoff.initial = .seconds(b) }
        if let b = try o.number("backoff_max", atLeast: 0) { c.backoff.maximum = .seconds(b) }
        if let h = o.take("headers") {
            guard let obj = h.objectValue else { throw o.bad("headers", "an object of strings", h) }
            for (k, v) in obj {
                guard let s = v.stringValue else { throw o.bad("headers", "an object of strings", h) }
                c.headers[k] = s
            }
        }
        try o.finish()
        return c
    }
}

extension OptionReader {
    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default d: T) throws(RewardSpecError) -> T
    where T.RawValue == String {
        guard let s = try string(key) else { return d }
        guard let v = T(rawValue: s) else {
            throw .badOption(reward: spec.label, option: key,
                             expected: "one of " + T.allCases.map(\.rawValue).joined(separator: ", "), found: "\"\(s)\"")
        }
        return v
    }
}
