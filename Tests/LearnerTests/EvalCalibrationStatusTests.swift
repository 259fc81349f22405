// The calibration of the learner's held-out sampled completions (issue 16): a daemon, warm-started
// so that some sampled completions are right, trains one step with `eval_sampled` on, and `/status`, `/history` and `/metrics`, fetched over HTTP/2 from
// a real server on loopback, carry the AUC and ECE that the background evaluator gives for the
// published weights of that step (re-run here on the same prompts with the step's seed). Older
// status JSON without the fields still decodes.

import Foundation
import XCTest
import Policy
import Tasks
import Tensor
import Training
import Transport
import Wire
@testable import Learner

final class EvalCalibrationStatusTests: XCTestCase {
    /// A small model warm-started (supervised) to some held-out accuracy, so that its sampled
    /// completions are partly right and the AUC exists; saved as a checkpoint for `task.init`.
    private func warmStart(task spec: String) throws -> URL {
        let task = try TaskSpec(parsing: spec).makeTask()
        let cfg = ModelConfig(vocabSize: task.tokenizer.vocabulary.count, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2)
        let model = try GPT(config: cfg, seed: 5)
        let o = try Pretraining.run(model: model, optimizer: AdamW(layout: model.layout, config: AdamWConfig(learningRate: 3e-3)),
                                    task: task, seed: 2, batch: 32, target: 0.3, maxSteps: 400, evalEvery: 5,
                                    evalSet: task.evaluationSet(seed: 1, size: 20))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calib-warm-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let state = TrainerState(phase: "pretrain", task: task.spec, preset: "tiny", seed: 5, step: o.steps,
                                 promptCursor: o.promptCursor, evalGreedyAccuracy: o.evalGreedyAccuracy)
        try Checkpoint.save(to: dir, model: model, optimizer: nil, vocab: task.tokenizer.vocabulary, trainerState: try state.encoded(),
                            extraFiles: try task.tokenizer.checkpointFiles())
        return dir
    }

    func testStatusHistoryAndMetricsCarryTheEvaluationsCalibration() async throws {
        let warm = try warmStart(task: "copy:digits=2")
        let node = try await openTestNode("eval-calibration") { c in
            c.task = "copy:digits=2"; c.initCheckpoint = warm.path
            c.groupSize = 2; c.groupsPerStep = 2; c.bufferCapacity = 4; c.sync = true
            c.steps = 1; c.evalEvery = 1; c.evalSampled = 300; c.target = 2
        }
        let ep = LocalEndpoint(node: node)
        let w = try await ep.register(RegisterRequest(workerName: "calib", softwareVersion: "t")).workerId
        node.training.start()
        var grant = LeaseGrant(units: [], retryAfterMs: nil)
        for _ in 0..<400 where grant.units.isEmpty {
            grant = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: await node.ingest.version.wire))
            if grant.units.isEmpty { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        XCTAssertEqual(grant.units.count, 2)
        let groups = grant.units.map { u in
            TrajectoryGroup(leaseId: u.leaseId, promptIndex: u.promptIndex, promptTokens: u.promptTokens, policyVersion: u.policyVersion,
                            workerId: w, samples: [1, 0].map { r in
                                Sample(tokens: [1, 2], logProbs: [-0.7, -0.7], reward: r, correct: r > 0, finishReason: .end) })
        }
        _ = await node.ingest.submit(groups, from: w)
        node.training.join()   // steps = 1: trains, then waits for the evaluation of step 1

        // What the evaluator gives for the published weights of step 1, on the learner's held-out prompts.
        let latest = await node.ingest.store.latest
        let published = try XCTUnwrap(latest)
        XCTAssertEqual(published.step, 1)
        let model = try GPT(config: node.modelConfig)
        try model.loadParameters(from: try SafeTensorsFile.parse(published.bytes, label: "step 1"))
        let prompts = node.task.evaluationSet(seed: 0xE7A1, size: 500)
        let evaluator = try BackgroundEvaluator(config: node.modelConfig, task: node.task, prompts: prompts,
                                                sampling: .init(total: 300, prompts: prompts.count, temperature: 1, topK: nil, seed: 0))
        defer { evaluator.close() }
        evaluator.submit(step: 1, weights: model)
        let want = try XCTUnwrap(evaluator.finish().first)
        let auc = try XCTUnwrap(want.sampledAUC, "the sampled completions need both outcomes (accuracy \(want.sampledAccuracy ?? -1))")
        let ece = try XCTUnwrap(want.sampledECE)

        var sc = ServerConfiguration()
        sc.tokens = TokenSets(worker: ["w-token"])
        let server = try TransportServer(configuration: sc)
        try StatusService(node: node).register(on: server)
        try await server.start()
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: try XCTUnwrap(server.cleartextPort)))
        let statusBody = try await client.get(path: "/status")
        XCTAssertEqual(statusBody.status, 200)
        let status = try JSONDecoder().decode(StatusReport.self, from: Data(statusBody.body))
        XCTAssertEqual(status.evalSampledAccuracy, want.sampledAccuracy)
        XCTAssertEqual(status.evalSampledAUC, auc)
        XCTAssertEqual(status.evalSampledECE, ece)
        XCTAssertTrue(String(decoding: statusBody.body, as: UTF8.self).contains("\"evalSampledECE\" : "), "JSON field name")

        let history = try await client.get(path: "/history")
        let points = try JSONDecoder().decode([HistoryPoint].self, from: Data(history.body))
        let last = try XCTUnwrap(points.last)
        XCTAssertEqual(last.evalStep, 1)
        XCTAssertEqual(last.evalSampledAUC, auc)
        XCTAssertEqual(last.evalSampledECE, ece)

        let metrics = String(decoding: try await client.get(path: "/metrics").body, as: UTF8.self)
        func gauge(_ name: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        XCTAssertEqual(gauge("tributary_eval_calibration_auc"), auc, metrics)
        XCTAssertEqual(gauge("tributary_eval_calibration_ece"), ece, metrics)
        XCTAssertTrue(metrics.contains("# TYPE tributary_eval_calibration_auc gauge"), metrics)
        await client.close()
        await server.shutdown(grace: 1)
        await node.ingest.shutdown()
    }

    /// A report from a learner without the calibration fields decodes, with them nil.
    func testOlderStatusJSONWithoutCalibrationDecodes() async throws {
        let node = try await openTestNode("eval-calibration-old") { _ in }
        var report = await StatusService(node: node).report()
        report.evalSampledAccuracy = 0.25; report.evalSampledReward = 0.5; report.evalSampledAUC = 0.75; report.evalSampledECE = 0.125
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        XCTAssertEqual(object["evalSampledAUC"] as? Double, 0.75)
        XCTAssertEqual(try JSONDecoder().decode(StatusReport.self, from: JSONSerialization.data(withJSONObject: object)).evalSampledECE, 0.125)
        object["evalSampledAUC"] = nil; object["evalSampledECE"] = nil
        object["evalSampledAccuracy"] = nil; object["evalSampledReward"] = nil
        let old = try JSONDecoder().decode(StatusReport.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertNil(old.evalSampledAUC); XCTAssertNil(old.evalSampledECE)
        XCTAssertEqual(old.step, report.step)
        await node.ingest.shutdown()
    }
}
