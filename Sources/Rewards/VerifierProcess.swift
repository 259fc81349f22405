// One running verifier program: started through the C shim (limits set between fork and
// exec, its own process group), spoken to over one socket (its stdin and stdout), with one
// I/O thread that writes queued requests, reads response lines and reaps the process.
// One call at a time; a call ends with the first line, a timeout, or the process's death.

import CRewardSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class VerifierProcess: @unchecked Sendable {
    let pid: pid_t
    private let fd: Int32
    private let wake: (read: Int32, write: Int32)
    private let label: String

    // Guarded by `lock`.
    private let lock = NSLock()
    private var outbox: [UInt8] = []
    private var pending: (token: Int, resume: CheckedContinuation<Result<[UInt8], RewardFailure>, Never>)?
    private var nextToken = 0
    private var reaped = false
    private var exitFailure: RewardFailure?
    /// Why we killed it (timeout, stray output), reported instead of the bare exit status.
    private var killReason: RewardFailure?

    /// Longest response line accepted (a verifier printing without newlines is garbage).
    static let maxLineBytes = 64 << 20

    private init(pid: pid_t, fd: Int32, wake: (Int32, Int32), label: String) {
        self.pid = pid
        self.fd = fd
        self.wake = wake
        self.label = label
    }

    /// Starts the program. Throws a `.launchFailed` failure naming the command and the reason.
    static func launch(command: [String], limits: ProcessLimits, discardStderr: Bool, environment: [String: String]?,
                       label: String) throws(RewardFailure) -> VerifierProcess {
        func failed(_ why: String) -> RewardFailure {
            RewardFailure(kind: .launchFailed, message: "reward \(label): cannot start \(command.joined(separator: " ")): \(why)")
        }
        guard let program = command.first, !program.isEmpty else { throw failed("empty command") }
        let env = environment ?? ProcessInfo.processInfo.environment
        guard let path = resolve(program, path: env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
            throw failed("\(program) not found in PATH")
        }
        var wakeFDs: [Int32] = [0, 0]
        guard reward_nonblocking_pipe(&wakeFDs) == 0 else { throw failed(String(cString: strerror(errno))) }
        var climits = reward_spawn_limits(
            cpu_seconds: Int64(limits.cpuSeconds ?? 0), address_space_bytes: Int64(limits.addressSpaceBytes ?? 0),
            open_files: Int64(limits.openFiles ?? 0), no_new_privileges: limits.noNewPrivileges ? 1 : 0,
            discard_stderr: discardStderr ? 1 : 0)
        let argv = ([path] + command.dropFirst()).map { strdup($0) } + [nil]
        let envp = env.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var fd: Int32 = -1, err: Int32 = 0
        let pid = reward_spawn(path, argv, envp, &climits, &fd, &err)
        guard pid > 0 else {
            close(wakeFDs[0])
            close(wakeFDs[1])
            throw failed(String(cString: strerror(err)))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let p = VerifierProcess(pid: pid, fd: fd, wake: (wakeFDs[0], wakeFDs[1]), label: label)
        Thread.detachNewThread { p.ioLoop() }
        return p
    }

    /// The executable for `program`: itself if it has a slash, else the first match in `path`.
    static func resolve(_ program: String, path: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Whether the process has not yet been seen to exit.
    var isRunning: Bool { lock.withLock { exitFailure == nil } }

    /// Why it exited, once it has.
    var exitReason: RewardFailure? { lock.withLock { exitFailure } }

    /// CPU seconds (user + system) it has used, from /proc/<pid>/stat; nil if unreadable.
    var cpuSecondsUsed: Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends one request line and waits for one response line, at most `timeout`.
    func call(_ line: [UInt8], timeout: Duration) async -> Result<[UInt8], RewardFailure> {
        let token: Int = lock.withLock { nextToken += 1; return nextToken }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { self?.expire(token: token, after: timeout) }
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { cont in
            let early: RewardFailure? = lock.withLock {
                if let f = exitFailure { return f }
                if pending != nil {
                    return RewardFailure(kind: .garbage, message: "reward \(label): internal: two calls on one process")
                }
                pending = (token, cont)
                outbox += line
                poke()  // under the lock: `finish` closes the wake pipe under it too
                return nil
            }
            if let f = early { cont.resume(returning: .failure(f)) }
        }
    }

    /// Kills the process (and its process group); a waiting call fails with `reason`.
    func kill(reason: RewardFailure) {
        let waiting: CheckedContinuation<Result<[UInt8], RewardFailure>, Never>? = lock.withLock {
            if killReason == nil { killReason = reason }
            if !reaped { _ = Glibc.kill(-pid, SIGKILL) }
            defer { pending = nil }
            return pending?.resume
        }
        waiting?.resume(returning: .failure(reason))
    }

    private func expire(token: Int, after timeout: Duration) {
        let waiting = lock.withLock { pending?.token == token }
        guard waiting else { return }
        kill(reason: RewardFailure(kind: .timeout, message: "reward \(label): no answer within \(timeout) (process killed)"))
    }

    private func poke() {
        var one: UInt8 = 1
        _ = write(wake.write, &one, 1)
    }

    // MARK: - I/O thread

    private func ioLoop() {
        var inbox: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        loop: while true {
            let wantWrite = lock.withLock { !outbox.isEmpty }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN) | (wantWrite ? Int16(POLLOUT) : 0), revents: 0),
                       pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[1].revents != 0 { while read(wake.read, &buffer, 64) > 0 {} }
            if fds[0].revents & Int16(POLLOUT) != 0 {
                let out = lock.withLock { outbox }
                let n = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if n > 0 { lock.withLock { outbox.removeFirst(n) } }
                else if n < 0, errno != EAGAIN, errno != EINTR { break }
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = read(fd, &buffer, buffer.count)
                if n == 0 { break }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    break
                }
                inbox += buffer[0..<n]
                while let nl = inbox.firstIndex(of: 0x0A) {
                    let line = Array(inbox[..<nl])
                    inbox.removeFirst(nl + 1)
                    deliver(line)
                }
                if inbox.count > Self.maxLineBytes {
                    let message = "reward \(label): response line longer than \(Self.maxLineBytes) bytes"
                    kill(reason: RewardFailure(kind: .garbage, message: message))
                    inbox = []
                }
            }
        }
        finish()
    }

    private func deliver(_ line: [UInt8]) {
        let waiting: CheckedContinuation<Result<[UInt8], RewardFailure>, Never>? = lock.withLock {
            defer { pending = nil }
            return pending?.resume
        }
        if let w = waiting {
            w.resume(returning: .success(line))
        } else {
            // A line nobody asked for: the exchange is out of step. The pool counts the
            // process's death (this reason) when it next looks at it.
            kill(reason: RewardFailure(kind: .garbage, message: "reward \(label): output line without a request"))
        }
    }

    /// After EOF: kill what is left of the group, reap, fail a waiting call, close descriptors.
    private func finish() {
        lock.withLock { if !reaped { _ = Glibc.kill(-pid, SIGKILL) } }
        // Wait without reaping, so `kill` never signals a pid that was reused.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0, errno == EINTR {}
        var status: Int32 = 0
        let failure: RewardFailure = lock.withLock {
            reaped = true
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            let f = killReason ?? RewardFailure(kind: .crashed, message: "reward \(label): process \(Self.describe(status: status))")
            exitFailure = f
            close(wake.write)
            return f
        }
        let waiting: CheckedContinuation<Result<[UInt8], RewardFailure>, Never>? = lock.withLock {
            defer { pending = nil }
            return pending?.resume
        }
        waiting?.resume(returning: .failure(failure))
        close(fd)
        close(wake.read)
    }

    /// "exited with status 3", "was killed by signal 24 (SIGXCPU: CPU time limit)".
    static func describe(status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        let names: [Int32: String] = [SIGKILL: "SIGKILL", SIGXCPU: "SIGXCPU: CPU time limit", SIGSEGV: "SIGSEGV",
                                      SIGABRT: "SIGABRT", SIGTERM: "SIGTERM", SIGBUS: "SIGBUS"]
        return "was killed by signal \(signal)" + (names[signal].map { " (\($0))" } ?? "")
    }
}
