// Session messages (proto/PROTOCOL.md §6.1, §6.2, §6.6): Register → Welcome, Goodbye,
// and the in-band StatusEnvelope. Field ids are part of the protocol: never reuse one.

/// Worker → learner, first call of a session (`/Register`).
public struct RegisterRequest: WireMessage {
    public static let kind = MessageKind.registerRequest
    /// Human-readable worker identity, e.g. "host-3/worker-1". Required.
    public var workerName: String
    /// Worker software version, e.g. "tributary 0.1.0". Required.
    public var softwareVersion: String
    /// Protocol version the worker speaks (`WireProtocol.version`). Required.
    public var protocolVersion: UInt16
    /// Number of sampling threads the worker runs (a capacity hint). Optional, default 1.
    public var samplerThreads: UInt32

    public init(workerName: String, softwareVersion: String, protocolVersion: UInt16 = WireProtocol.version, samplerThreads: UInt32 = 1) {
        self.workerName = workerName
        self.softwareVersion = softwareVersion
        self.protocolVersion = protocolVersion
        self.samplerThreads = samplerThreads
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.string(1, workerName)
        w.string(2, softwareVersion)
        w.u16(3, protocolVersion)
        w.u32(4, samplerThreads)
    }

    public init(fields r: FieldReader) throws(WireError) {
        workerName = try r.string(1, "workerName")
        softwareVersion = try r.string(2, "softwareVersion")
        protocolVersion = try r.u16(3, "protocolVersion")
        samplerThreads = try r.u32IfPresent(4, "samplerThreads") ?? 1
    }
}

/// The GPT-2 style model shape nested in `Welcome` (proto/PROTOCOL.md §6.2's `ModelConfig`; names as
/// in config.json). The model itself is `Policy.ModelConfig`; Sources/Rollout/WireMapping.swift maps
/// between the two.
public struct ModelShape: WireFields {
    public var vocabSize: UInt32
    public var nPositions: UInt32
    public var nEmbd: UInt32
    public var nLayer: UInt32
    public var nHead: UInt32

    public init(vocabSize: UInt32, nPositions: UInt32, nEmbd: UInt32, nLayer: UInt32, nHead: UInt32) {
        self.vocabSize = vocabSize
        self.nPositions = nPositions
        self.nEmbd = nEmbd
        self.nLayer = nLayer
        self.nHead = nHead
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u32(1, vocabSize)
        w.u32(2, nPositions)
        w.u32(3, nEmbd)
        w.u32(4, nLayer)
        w.u32(5, nHead)
    }

    public init(fields r: FieldReader) throws(WireError) {
        vocabSize = try r.u32(1, "vocabSize")
        nPositions = try r.u32(2, "nPositions")
        nEmbd = try r.u32(3, "nEmbd")
        nLayer = try r.u32(4, "nLayer")
        nHead = try r.u32(5, "nHead")
    }
}

/// Learner → worker, answer to `/Register`: identity, task, model shape, sampling defaults and limits.
/// Schema version 2: adds `modelConfigJSON` (field 14); schema 3: `ghpoStages` (field 15). Older
/// readers skip them.
public struct Welcome: WireMessage {
    public static let kind = MessageKind.welcome
    public static var schemaVersion: UInt16 { 3 }
    /// Id the worker must send in every later request.
    public var workerId: UInt64
    /// Protocol version the learner speaks.
    public var protocolVersion: UInt16
    /// Task specification string understood by the Tasks module (e.g. "reverse:digits=4").
    public var taskSpec: String
    public var model: ModelShape
    /// Completions sampled per prompt (G).
    public var groupSize: UInt32
    public var temperature: Float
    /// 0 disables top-k.
    public var topK: UInt32
    public var maxCompletionTokens: UInt32
    /// Largest message the learner accepts on `/Submit` (bytes).
    public var maxMessageBytes: UInt32
    /// Most groups a worker may have in flight on one `/Submit` stream before reading acks.
    public var maxGroupsPerSubmit: UInt32
    /// Lease lifetime in milliseconds.
    public var leaseDurationMs: UInt32
    /// Policy version current at registration time.
    public var policyVersion: UInt64
    /// Seed of the task's prompt stream: a work unit's prompt is `task.prompt(seed, promptIndex)`,
    /// which gives the worker the reference answer its verifier needs. Optional (field 13).
    public var promptSeed: UInt64?
    /// The model's Hugging Face `config.json` (UTF-8 JSON bytes): every hyper-parameter the
    /// worker needs to build the model (LayerNorm ε, activation, tied head, and whatever a
    /// model family adds), where `model` carries only the GPT-2 shape. Optional (field 14,
    /// schema 2); when present it is authoritative and agrees with `model`.
    public var modelConfigJSON: [UInt8]?
    /// GHPO guidance (PROTOCOL.md §6.5.3): how many hint stages the worker may go through for a
    /// prompt whose group has no correct sample; 0 = no hints. Optional (field 15, schema 3),
    /// omitted when 0.
    public var ghpoStages: UInt32

    public init(workerId: UInt64, protocolVersion: UInt16 = WireProtocol.version, taskSpec: String, model: ModelShape,
                groupSize: UInt32, temperature: Float, topK: UInt32, maxCompletionTokens: UInt32,
                maxMessageBytes: UInt32, maxGroupsPerSubmit: UInt32, leaseDurationMs: UInt32, policyVersion: UInt64,
                promptSeed: UInt64? = nil, modelConfigJSON: [UInt8]? = nil, ghpoStages: UInt32 = 0) {
        self.ghpoStages = ghpoStages
        self.promptSeed = promptSeed
        self.modelConfigJSON = modelConfigJSON
        self.workerId = workerId
        self.protocolVersion = protocolVersion
        self.taskSpec = taskSpec
        self.model = model
        self.groupSize = groupSize
        self.temperature = temperature
        self.topK = topK
        self.maxCompletionTokens = maxCompletionTokens
        self.maxMessageBytes = maxMessageBytes
        self.maxGroupsPerSubmit = maxGroupsPerSubmit
        self.leaseDurationMs = leaseDurationMs
        self.policyVersion = policyVersion
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, workerId)
        w.u16(2, protocolVersion)
        w.string(3, taskSpec)
        w.message(4, model)
        w.u32(5, groupSize)
        w.f32(6, temperature)
        w.u32(7, topK)
        w.u32(8, maxCompletionTokens)
        w.u32(9, maxMessageBytes)
        w.u32(10, maxGroupsPerSubmit)
        w.u32(11, leaseDurationMs)
        w.u64(12, policyVersion)
        if let promptSeed { w.u64(13, promptSeed) }
        if let modelConfigJSON { w.bytes(14, modelConfigJSON) }
        if ghpoStages != 0 { w.u32(15, ghpoStages) }
    }

    public init(fields r: FieldReader) throws(WireError) {
        workerId = try r.u64(1, "workerId")
        protocolVersion = try r.u16(2, "protocolVersion")
        taskSpec = try r.string(3, "taskSpec")
        model = try r.message(4, "model")
        groupSize = try r.u32(5, "groupSize")
        temperature = try r.f32(6, "temperature")
        topK = try r.u32(7, "topK")
        maxCompletionTokens = try r.u32(8, "maxCompletionTokens")
        maxMessageBytes = try r.u32(9, "maxMessageBytes")
        maxGroupsPerSubmit = try r.u32(10, "maxGroupsPerSubmit")
        leaseDurationMs = try r.u32(11, "leaseDurationMs")
        policyVersion = try r.u64(12, "policyVersion")
        promptSeed = try r.u64IfPresent(13, "promptSeed")
        modelConfigJSON = try r.bytesIfPresent(14, "modelConfigJSON")
        ghpoStages = try r.u32IfPresent(15, "ghpoStages") ?? 0
    }
}

/// Worker → learner (`/Goodbye`): the worker is leaving; its open leases may be re-issued now.
public struct Goodbye: WireMessage {
    public static let kind = MessageKind.goodbye
    public var workerId: UInt64
    /// Free-form reason for logs. Optional, default "".
    public var reason: String

    public init(workerId: UInt64, reason: String = "") {
        self.workerId = workerId
        self.reason = reason
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, workerId)
        if !reason.isEmpty { w.string(2, reason) }
    }

    public init(fields r: FieldReader) throws(WireError) {
        workerId = try r.u64(1, "workerId")
        reason = try r.stringIfPresent(2, "reason") ?? ""
    }
}

/// The end-of-stream status sent in-band (frame flag bit 1) where trailers are unavailable.
/// When a peer receives both, the trailers win.
public struct StatusEnvelope: WireMessage {
    public static let kind = MessageKind.statusEnvelope
    public var status: RPCStatus

    public init(_ status: RPCStatus) { self.status = status }

    public func encodeFields(into w: inout FieldWriter) {
        w.u32(1, status.code.rawValue)
        if !status.message.isEmpty { w.string(2, status.message) }
    }

    public init(fields r: FieldReader) throws(WireError) {
        let code = try r.u32(1, "code")
        status = RPCStatus(WireStatus(code: code), try r.stringIfPresent(2, "message") ?? "")
    }
}
