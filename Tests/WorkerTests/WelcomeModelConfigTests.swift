// The worker builds its model from Welcome.modelConfigJSON (the learner's config.json) when
// present — hyper-parameters such as LayerNorm ε travel with it — and from the GPT-2 shape
// fields otherwise; a config it cannot build or that disagrees with the shape is refused.

import Foundation
import XCTest
import Policy
import Wire
@testable import Worker

final class WelcomeModelConfigTests: XCTestCase {
    private func welcome(_ json: [UInt8]?) -> Welcome {
        Welcome(workerId: 1, taskSpec: "reverse:digits=4", model: ModelShape(vocabSize: 14, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 4),
                groupSize: 4, temperature: 1, topK: 0, maxCompletionTokens: 6, maxMessageBytes: 1 << 20, maxGroupsPerSubmit: 64,
                leaseDurationMs: 30_000, policyVersion: 0, promptSeed: 0, modelConfigJSON: json)
    }

    func testConfigJSONIsUsedWhenPresent() throws {
        let learner = Policy.ModelConfig(vocabSize: 14, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 4, layerNormEpsilon: 1e-6)
        let json = [UInt8](try learner.configJSON())
        let w = try Welcome.decode(welcome(json).encoded())     // over the wire and back
        XCTAssertEqual(w.modelConfigJSON, json)
        let built = try RolloutWorker.modelConfig(from: w)
        XCTAssertEqual(built, learner)
        XCTAssertEqual(built.layerNormEpsilon, 1e-6, "ε comes from config.json, not the default")
    }

    func testShapeFieldsWithoutConfigJSON() throws {
        let built = try RolloutWorker.modelConfig(from: welcome(nil))
        XCTAssertEqual(built, Policy.ModelConfig(vocabSize: 14, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 4))
    }

    func testUnbuildableOrInconsistentConfigIsRefused() throws {
        let other = Policy.ModelConfig(vocabSize: 14, nPositions: 64, nEmbd: 128, nLayer: 2, nHead: 4)
        for json in [Array("{\"model_type\": \"llama\"}".utf8), Array("not json".utf8), [UInt8](try other.configJSON())] {
            XCTAssertThrowsError(try RolloutWorker.modelConfig(from: welcome(json))) { e in
                XCTAssertEqual((e as? RPCStatus)?.code, .failedPrecondition, "\(e)")
            }
        }
    }
}
