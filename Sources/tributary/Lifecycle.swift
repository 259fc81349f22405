// Start-up and graceful shutdown of `tributary learner`, `worker` and `run` as a ServiceGroup
// (swift-service-lifecycle): SIGTERM / SIGINT start a graceful shutdown, which the group hands
// to its services one at a time, last to first, so each command lists its services in the
// order they must stop in reverse:
//
// - learner: [listener, training]: training stops first (ingest refuses new work, the training
//   thread finishes its step and checkpoints), then the listener drains RPCs and sends GOAWAY;
// - worker: [progress log, workers]: the workers stop taking leases and finish (bounded), then
//   the progress log;
// - run: [listener, training, workers]: the workers first, then training, then the listener.
//
// The training service also ends by itself when training is over (step budget, target or a
// learning-health stop), which shuts the group down the same way; with
// `training.exit_when_done = false` it keeps the group up, serving status, until a signal.
// Exit codes stay with the commands (0, 3 = target missed, 4 = learning-health stop).

import Foundation
import Logging
import ServiceLifecycle
import Worker

extension ServiceGroup {
    /// A group of `services` that shuts down gracefully on SIGTERM and SIGINT. The last service's
    /// normal return (training over) also shuts the group down.
    static func daemon(_ services: [any Service], logger: Logger) -> ServiceGroup {
        ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }
}

/// The learner's listeners: serve until the group shuts down, then stop gracefully (refuse new
/// work, wait for the training thread, drain RPCs within `grace` seconds, close).
struct ListenerService: Service {
    let daemon: LearnerDaemon
    let grace: Double

    func run() async {
        try? await gracefulShutdown()
        await daemon.stop(grace: grace)
    }
}

/// The learner's training thread: returns when training is over, or on graceful shutdown after
/// ingest has stopped (which ends the training loop: it checkpoints and returns). With
/// `exitWhenDone` false a finished run keeps the group up (status routes serving, readyz 503)
/// until the group shuts down.
struct TrainingService: Service {
    let daemon: LearnerDaemon
    let exitWhenDone: Bool
    let log: @Sendable (String) -> Void

    func run() async {
        let signalled = await withTaskGroup(of: Bool.self) { g in
            g.addTask { await daemon.waitForTraining(); return false }
            g.addTask { (try? await gracefulShutdown()) != nil }
            let first = await g.next() ?? false
            await daemon.node.ingest.shutdown()   // ends training if the signal came first
            g.cancelAll()                          // releases the shutdown waiter if training ended first
            return first
        }
        if !signalled && !exitWhenDone && daemon.node.training.status.finished {
            // Training is over and no more work is taken; the status routes stay up (readyz
            // answers 503) for dashboards and probes until the operator stops the learner.
            log("learner: training finished; serving status until SIGTERM (training.exit_when_done = false)")
            try? await gracefulShutdown()
        }
    }
}

/// Rollout workers: their loops run until the group shuts down; then each stops taking leases,
/// `beforeWaiting` runs (the embedded learner refuses work, releasing long polls), and the loops
/// get `bound` seconds to finish their current lease before they are cancelled.
struct WorkerPoolService: Service {
    let workers: [RolloutWorker]
    let bound: Double
    var beforeWaiting: @Sendable () async -> Void = {}

    func run() async {
        let loops = workers.map { w in Task { await w.run() } }
        try? await gracefulShutdown()
        for w in workers { await w.stop() }
        await beforeWaiting()
        let deadline = Task {
            try? await Task.sleep(nanoseconds: UInt64(bound * 1e9))
            for l in loops { l.cancel() }
        }
        for l in loops { _ = await l.value }
        deadline.cancel()
    }
}

/// The worker's progress line every `every` seconds until the group shuts down.
struct WorkerProgressService: Service {
    let workers: [RolloutWorker]
    let logger: Logger
    var every: Double = 10

    func run() async {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(nanoseconds: UInt64(every * 1e9))
                for w in workers {
                    let s = await w.stats
                    logger.info("worker progress", metadata: [
                        "worker": "\(w.options.name)", "version": "\(s.currentVersion.map(String.init) ?? "none")",
                        "groups-accepted": "\(s.groupsAccepted)", "groups-submitted": "\(s.groupsSubmitted)",
                        "reconnects": "\(s.reconnects)", "reward-failures": "\(s.verifierFailures)", "last-error": "\(s.lastError ?? "")"])
                }
            }
        }
    }
}
