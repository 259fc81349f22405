// Where training stands, for people and machines: the JSON of `GET /status` (and
// `tributary status`), the Prometheus text of `GET /metrics` (swift-prometheus), and the
// health routes `/healthz` (alive) and `/readyz` (a policy is published and the learner
// takes work).

import Foundation
import Objectives
import Prometheus
import Rollout
import Training
import Transport

/// The `/status` document.
package struct StatusReport: Codable, Sendable {
    package var version: PolicyVersion
    package var step: Int
    /// Steps since this learner started that changed nothing (no reward signal in the batch).
    package var stepsWithoutSignal: Int
    package var uptimeSeconds: Double
    package var task: String
    package var objective: String
    package var sync: Bool
    package var bufferedGroups: Int
    package var bufferCapacity: Int
    package var outstandingLeases: Int
    package var acceptedGroups: Int
    /// Write-ahead-log fsyncs for accepted groups: groups that arrive together share one.
    package var walSyncs: Int
    /// Leases completed since the state directory was created (durable; equals
    /// `groupsTrained + groupsInTraining + bufferedGroups` in every report: every
    /// acknowledged group is trained exactly once).
    package var leasesCompleted: Int
    package var groupsTrained: Int
    /// Groups taken from the buffer whose update has not been counted in `groupsTrained` yet.
    package var groupsInTraining: Int
    /// Leases that passed their deadline (or whose worker said goodbye) and were re-issued.
    package var leasesReissued: Int
    /// Next fresh prompt index: every prompt below it has been issued once, and (without a
    /// restart in between) is in exactly one place — trained, buffered, outstanding, or waiting
    /// to be re-issued.
    package var promptCursor: Int
    /// Prompts whose lease expired (or was released) and that wait to be issued again.
    package var promptsAwaitingReissue: Int
    package var rejectedGroups: [String: Int]
    /// Requests refused with NOT_FOUND for an unknown, retired or foreign worker id.
    package var unknownWorkerRequests: Int
    package var stalenessHistogram: [String: Int]
    /// Accepted groups and their bytes per second over the last 10 s (a sliding window).
    package var ingestGroupsPerSecond: Double
    package var ingestBytesPerSecond: Double
    package var trainingTokensPerSecond: Double
    package var stepSeconds: Double
    package var publishSeconds: Double
    package var lastCheckpoint: String?
    package var lastCheckpointStep: Int?
    package var evalGreedyAccuracy: Double?
    package var reward: Double
    package var accuracy: Double
    package var meanStaleness: Double
    package var workers: [WorkerInfo]
    package var metrics: ObjectiveMetrics?
    package var finished: Bool
    /// Per reward component (tasks with a composite reward): means and failures (RewardComponents.swift).
    /// Optional so that `tributary status` reads reports of learners without it.
    package var rewardComponents: [RewardComponentFigures]? = nil
    /// Whether the last step had an optimizer step (`trainingTokensPerSecond` is 0 when not).
    package var lastStepUpdated: Bool?
    /// Whether learning can work: the no-signal streak, the best held-out accuracy, the problem
    /// in effect and the one that stopped training (LearningHealth.swift, docs/operations.md).
    package var learningHealth: HealthReport?
    package var stoppedBy: HealthProblem?
    /// Held-out accuracy and mean reward of completions sampled as the rollouts are (the last
    /// evaluation; nil when `training.eval_sampled` is 0). Optional: older reports decode.
    package var evalSampledAccuracy: Double? = nil
    package var evalSampledReward: Double? = nil
    /// Calibration of those sampled completions at the last evaluation: AUC of their sequence
    /// probability against correctness (nil also when all had one outcome) and expected
    /// calibration error (10 bins). Optional: older reports decode.
    package var evalSampledAUC: Double? = nil
    package var evalSampledECE: Double? = nil
}

/// Builds status reports and serves the status routes of one learner.
package final class StatusService: Sendable {
    let node: LearnerNode
    let started = Date()
    let registry = PrometheusCollectorRegistry()

    package init(node: LearnerNode) { self.node = node }

    package func report() async -> StatusReport {
        // Training first, then ingestion in one actor turn: groups trained by the time of the
        // second reading are still counted in `groupsInTraining`, so the counts add up.
        let t = node.training.status
        let i = await node.ingest.snapshot()
        let c = i.counters
        let (gps, bps) = (i.groupsPerSecond, i.bytesPerSecond)
        return StatusReport(
            version: i.version, step: t.step, stepsWithoutSignal: t.stepsWithoutSignal, uptimeSeconds: Date().timeIntervalSince(started), task: node.task.spec.canonical,
            objective: node.config.objective, sync: node.config.sync, bufferedGroups: i.buffered,
            bufferCapacity: node.config.bufferCapacity, outstandingLeases: i.outstandingLeases, acceptedGroups: c.accepted, walSyncs: c.walSyncs,
            leasesCompleted: i.leasesCompleted, groupsTrained: t.groupsTrained,
            groupsInTraining: max(0, i.groupsTaken - t.groupsTrained), leasesReissued: c.leasesExpired,
            promptCursor: i.promptCursor, promptsAwaitingReissue: i.promptsAwaitingReissue,
            rejectedGroups: c.rejected, unknownWorkerRequests: c.unknownWorkerRequests, stalenessHistogram: Dictionary(uniqueKeysWithValues: c.stalenessHistogram.map { ("\($0.key)", $0.value) }),
            ingestGroupsPerSecond: gps, ingestBytesPerSecond: bps, trainingTokensPerSecond: t.tokensPerSecond ?? 0,
            stepSeconds: t.stepSeconds, publishSeconds: t.publishSeconds, lastCheckpoint: t.lastCheckpoint,
            lastCheckpointStep: t.lastCheckpointStep, evalGreedyAccuracy: t.evalGreedyAccuracy, reward: t.reward,
            accuracy: t.accuracy, meanStaleness: t.meanStaleness,
            workers: i.workers.values.sorted { $0.id < $1.id }, metrics: t.metrics, finished: t.finished,
            rewardComponents: node.ingest.rewards.figures(),
            lastStepUpdated: t.updated, learningHealth: t.health, stoppedBy: t.stoppedBy,
            evalSampledAccuracy: t.evalSampledAccuracy, evalSampledReward: t.evalSampledReward,
            evalSampledAUC: t.evalSampledAUC, evalSampledECE: t.evalSampledECE)
    }

    /// Prometheus exposition of the same figures (names `tributary_*`).
    package func metricsText() async -> String {
        let r = await report()
        // Names are `tributary_<metric>_<unit>`: the last underscore-separated word is the unit.
        func g(_ name: String, _ help: String, _ v: Double, _ labels: [(String, String)] = []) {
            let base = name.dropFirst("tributary_".count)
            let cut = base.lastIndex(of: "_")!
            let d = MetricNameDescriptor(namespace: "tributary", metricName: String(base[..<cut]),
                                         unitName: String(base[base.index(after: cut)...]), helpText: help)
            registry.makeGauge(descriptor: d, labels: labels).set(v)
        }
        g("tributary_policy_version", "Current published policy version", Double(r.version.rawValue))
        g("tributary_training_step", "Batches trained", Double(r.step))
        g("tributary_training_no_signal_steps", "Batches since start without reward signal (no optimizer step, no new version)",
          Double(r.stepsWithoutSignal))
        g("tributary_uptime_seconds", "Seconds since the learner started", r.uptimeSeconds)
        g("tributary_buffered_groups", "Accepted groups waiting for training", Double(r.bufferedGroups))
        g("tributary_outstanding_leases", "Leases issued and not yet completed", Double(r.outstandingLeases))
        g("tributary_groups_accepted_total", "Groups accepted", Double(r.acceptedGroups))
        g("tributary_wal_syncs_total", "Write-ahead-log fsyncs for accepted groups", Double(r.walSyncs))
        g("tributary_unknown_worker_requests_total",
          "Requests refused with NOT_FOUND: worker id never registered, after Goodbye, idle, from another token, or from before a restart",
          Double(r.unknownWorkerRequests))
        for (reason, n) in r.rejectedGroups {
            g("tributary_groups_rejected_total", "Groups rejected, by reason", Double(n), [("reason", reason)])
        }
        for (s, n) in r.stalenessHistogram {
            g("tributary_accepted_staleness_groups", "Accepted groups by staleness (versions)", Double(n), [("staleness", s)])
        }
        g("tributary_ingest_groups_per_second", "Accepted groups per second (recent)", r.ingestGroupsPerSecond)
        g("tributary_ingest_bytes_per_second", "Accepted bytes per second (recent)", r.ingestBytesPerSecond)
        g("tributary_training_tokens_per_second", "Tokens through an optimizer step per second of update, last step (0: no update)", r.trainingTokensPerSecond)
        if let h = r.learningHealth {
            g("tributary_no_signal_batches", "Batches in a row without reward signal", Double(h.batchesWithoutSignal))
            g("tributary_learning_problem_flag", "1 while learning cannot work (no signal or collapse; see /status)", h.problem == nil ? 0 : 1)
        }
        g("tributary_step_seconds", "Duration of the last update", r.stepSeconds)
        g("tributary_publish_seconds", "Duration of the last publish (encode, digest, announce)", r.publishSeconds)
        g("tributary_eval_greedy_accuracy", "Held-out greedy accuracy at the last evaluation", r.evalGreedyAccuracy ?? 0)
        if let s = r.evalSampledAccuracy {
            g("tributary_eval_sampled_accuracy", "Held-out accuracy of completions sampled at the rollout temperature, last evaluation", s)
        }
        if let a = r.evalSampledAUC {
            g("tributary_eval_calibration_auc", "AUC of the held-out sampled completions' sequence probability against correctness, last evaluation", a)
        }
        if let e = r.evalSampledECE {
            g("tributary_eval_calibration_ece", "Expected calibration error (10 bins) of the held-out sampled completions' sequence probability, last evaluation", e)
        }
        g("tributary_batch_reward", "Mean reward of the last batch", r.reward)
        g("tributary_mean_staleness", "Mean staleness of the last batch", r.meanStaleness)
        g("tributary_registered_workers", "Registered workers", Double(r.workers.count))
        if let m = r.metrics {
            g("tributary_ratio_max", "Largest importance ratio in the last minibatch", m.ratioMax)
            g("tributary_ratio_q999", "Ratio q99.9 in the last minibatch", m.ratioQ999)
            g("tributary_behaviour_kl", "k3 KL to the behaviour policy", m.klBehaviourK3)
            g("tributary_entropy_nats", "Exact mean entropy", m.entropy ?? 0)
            if let l = m.lambda { g("tributary_r2vpo_lambda", "R²VPO dual variable", l) }
        }
        emitRewardComponentMetrics(r)
        var out: [UInt8] = []
        registry.emit(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Who may read the status routes: with admin tokens configured an admin token
    /// (PROTOCOL.md §14), else anyone. The health probes are always open.
    var adminAuth: AuthClass { node.config.adminTokens.isEmpty ? .none : .admin }

    /// Registers `/healthz`, `/readyz`, `/status`, `/metrics` and the dashboard (`/`, `/history`,
    /// `/config`; Dashboard.swift) on `server`. Every route but the two health probes needs an
    /// admin token when admin tokens are configured, on every listener (h2c, TLS, HTTP/1.1).
    package func register(on server: TransportServer) throws {
        try registerDashboard(on: server)
        try server.registerGET(path: "/healthz") { _ in HTTPResponse(text: "ok\n") }
        try server.registerGET(path: "/readyz") { [node] _ in
            let ready = await node.ingest.store.latest != nil && !node.training.status.finished
            return HTTPResponse(status: ready ? 200 : 503, text: ready ? "ready\n" : "not ready\n")
        }
        try server.registerGET(path: "/status", auth: adminAuth) { [self] _ in
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let body = (try? enc.encode(await report())) ?? Data("{}".utf8)
            return HTTPResponse(contentType: "application/json", body: [UInt8](body) + [0x0A])
        }
        // The learner's figures, then the transport's own counters (`tributary_transport_*`:
        // connections, RPCs by status, rejections by reason such as `unauthenticated`).
        try server.registerGET(path: "/metrics", auth: adminAuth) { [self, weak server] _ in
            HTTPResponse(contentType: "text/plain; version=0.0.4; charset=utf-8",
                         text: await metricsText() + (server?.counters.prometheus() ?? ""))
        }
    }
}
