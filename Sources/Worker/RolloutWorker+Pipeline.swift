// The worker's policy pipeline: each announced version is downloaded and digest-checked by a
// background task while the sampler keeps using the loaded weights, and the loop loads the
// newest verified download between leases (on the sampler's thread, SamplerThread.swift). In async mode sampling never waits for a
// download; in sync mode (the learner leases nothing for an old version) the loop waits for
// the download in flight instead of sleeping.

import Policy
import Tensor
import Transport
import Wire

extension RolloutWorker {
    /// Forgets the previous session's versions and downloads.
    func resetPolicyPipeline() {
        fetchTask?.cancel()
        fetchTask = nil
        fetched = nil
        fetchFailure = nil
        loadedVersion = nil
        latest = nil
        pipelineEpoch += 1
    }

    /// Starts downloading the announced version unless it is loaded, downloaded or under way.
    func startFetchIfNeeded() {
        guard fetchTask == nil, let a = latest, a.version != (fetched?.version ?? loadedVersion) else { return }
        let endpoint = self.endpoint, epoch = pipelineEpoch
        fetchTask = Task {
            let result: Result<[UInt8], Error>
            do { result = .success(try await Self.download(a, from: endpoint)) } catch { result = .failure(error) }
            self.fetchFinished(a, result, epoch: epoch)
        }
    }

    private func fetchFinished(_ a: PolicyAnnouncement, _ result: Result<[UInt8], Error>, epoch: Int) {
        guard epoch == pipelineEpoch else { return }   // an earlier session's download
        fetchTask = nil
        switch result {
        case .success(let bytes):
            fetched = (a.version, bytes)
        case .failure(let s as RPCStatus) where s.code == .notFound:
            // The learner moved past this version before we asked: wait for the next announcement.
            if latest?.version == a.version { latest = nil }
        case .failure(let error):
            fetchFailure = error
            return
        }
        startFetchIfNeeded()   // a newer version may have been announced meanwhile
    }

    /// Loads the newest verified download into the sampler's model (a parse and a copy on the
    /// sampler thread; the transfer and the digest already happened in the background).
    /// Throws a download failure.
    func loadFetchedPolicy(into sampling: SamplerThread) async throws {
        if let failure = fetchFailure { throw failure }
        guard let f = fetched else { return }
        fetched = nil
        try await sampling.run { model, _, _ in
            try model.loadParameters(from: try SafeTensorsFile.parse(f.bytes, label: "policy v\(f.version)"))
        }
        loadedVersion = f.version
        stats.policiesFetched += 1
        stats.currentVersion = Int(f.version)
        logger.debug("policy loaded", metadata: ["worker": "\(options.name)", "version": "\(f.version)"])
    }

    /// Waits for the download in flight when a newer version than the loaded one is known;
    /// otherwise sleeps `seconds`.
    func policySettled(orSleep seconds: Double) async {
        if fetched == nil, let t = fetchTask, (latest?.version).map({ $0 != loadedVersion }) ?? false {
            await t.value
        } else if fetched == nil {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        }
    }

    /// Downloads version `a` chunk by chunk and checks its digest; returns the safetensors bytes.
    private static func download(_ a: PolicyAnnouncement, from endpoint: any LearnerEndpoint) async throws -> [UInt8] {
        var assembler = PolicyAssembler(announcement: a, digest: Digests.sha256)
        var blob: [UInt8]? = nil
        for try await chunk in try await endpoint.fetchPolicy(FetchPolicyRequest(version: a.version)) {
            if let b = try assembler.add(chunk) { blob = b }
        }
        try assembler.finish()
        guard let bytes = blob else { throw RPCStatus(.dataLoss, "policy \(a.version) arrived incomplete") }
        return bytes
    }
}
