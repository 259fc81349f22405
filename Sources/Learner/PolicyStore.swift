// Published policy versions: the weights are encoded once per version as safetensors bytes
// with their SHA-256 digest, kept for the last few versions, and served to workers as a
// stream of chunk messages (proto/PROTOCOL.md "FetchPolicy"). Encoding happens on the
// training side; reads never block on it.

import Foundation
import Policy
import Rollout
import Transport
import Wire

/// One encoded policy version.
package struct PublishedPolicy: Sendable {
    package let version: PolicyVersion
    package let step: Int
    package let bytes: [UInt8]
    package let digest: [UInt8]

    /// The announcement workers receive on their watch stream.
    package var announcement: PolicyAnnouncement {
        PolicyAnnouncement(version: version.wire, digest: digest, sizeBytes: UInt64(bytes.count), step: UInt64(step))
    }

    /// The chunk messages of a fetch starting at `offset` (resumable downloads).
    package func chunks(from offset: Int = 0) -> [PolicyChunk] {
        PolicyAssembler.chunks(version: version.wire, blob: bytes, digest: digest, from: offset)
    }

    /// Encodes `model`'s weights (the HF-named safetensors of `model.safetensors`).
    package static func encode(_ model: GPT, version: PolicyVersion, step: Int) -> PublishedPolicy {
        let bytes = model.parametersFile(metadata: ["tributary_version": version.description]).serialized()
        return PublishedPolicy(version: version, step: step, bytes: bytes, digest: Digests.sha256.sha256(bytes))
    }
}

/// The last `keep` published versions (a worker that asks for an older one gets `notFound`).
package struct PolicyStore: Sendable {
    package let keep: Int
    package private(set) var versions: [PublishedPolicy] = []

    package init(keep: Int = 4) { self.keep = max(1, keep) }

    package var latest: PublishedPolicy? { versions.last }

    package mutating func publish(_ p: PublishedPolicy) {
        versions.append(p)
        if versions.count > keep { versions.removeFirst(versions.count - keep) }
    }

    package func version(_ v: PolicyVersion) -> PublishedPolicy? { versions.last { $0.version == v } }
}
