// Checkpoint directories (design/MODEL.md): model.safetensors, config.json, vocab.json,
// trainer_state.json, optimizer.safetensors and (when ALP is enabled) alp.safetensors, written atomically: everything goes into a
// temporary directory beside the target, files and directory are fsynced, then it is renamed
// over the target (an existing checkpoint is moved aside first and removed afterwards).

import Foundation
import Tensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `Checkpoint.load` returns.
public struct LoadedCheckpoint {
    public let model: GPT
    /// AdamW state, or nil when the directory has no optimizer.safetensors.
    public let optimizer: AdamW?
    /// Token string → id.
    public let vocab: [String: Int]
    /// The caller's trainer_state.json bytes, or nil if absent.
    public let trainerState: Data?

    public init(model: GPT, optimizer: AdamW?, vocab: [String: Int], trainerState: Data?) {
        self.model = model; self.optimizer = optimizer; self.vocab = vocab; self.trainerState = trainerState
    }
}

/// Saving and loading checkpoint directories.
public enum Checkpoint {
    public static let modelFile = "model.safetensors"
    public static let configFile = "config.json"
    public static let vocabFile = "vocab.json"
    public static let trainerStateFile = "trainer_state.json"
    public static let optimizerFile = "optimizer.safetensors"
    /// ALP log-scales and configuration (`GPT.alpFile`); kept out of model.safetensors so that file
    /// stays loadable by Hugging Face. Written only when the model's ALP is enabled.
    public static let alpFile = "alp.safetensors"

    /// Writes a checkpoint to `dir`, replacing any existing one. `trainerState` is stored verbatim
    /// (nil: none, as for an imported model that was never trained here);
    /// `extraFiles` (file name → bytes, e.g. a pretrained model's tokenizer.json) are written beside
    /// the standard files, inside the same atomic replacement.
    /// On failure the previous checkpoint (if any) is left in place and no temporary directory remains.
    public static func save(to dir: URL, model: GPT, optimizer: AdamW?, vocab: [String: Int],
                            trainerState: Data?, extraFiles: [String: Data] = [:], failAfterFiles: Int? = nil) throws {
        let fm = FileManager.default
        let parent = dir.deletingLastPathComponent()
        let tmp = parent.appendingPathComponent(".\(dir.lastPathComponent).tmp-\(UUID().uuidString)")
        func fail(_ d: String) -> PolicyError { .checkpoint(path: dir.path, detail: d) }
        do { try fm.createDirectory(at: tmp, withIntermediateDirectories: true) } catch {
            throw fail("cannot create temporary directory \(tmp.path): \(error.localizedDescription)")
        }
        var written = 0
        do {
            func put(_ name: String, _ bytes: [UInt8]) throws {
                if let n = failAfterFiles, written >= n { throw fail("simulated failure before writing \(name)") }
                try writeDurably(bytes, to: tmp.appendingPathComponent(name))
                written += 1
            }
            try put(modelFile, model.parametersFile().serialized())
            try put(configFile, [UInt8](try configJSON(model.config, vocab: vocab)))
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try put(vocabFile, [UInt8](try enc.encode(vocab)))
            if let trainerState { try put(trainerStateFile, [UInt8](trainerState)) }
            for (name, bytes) in extraFiles.sorted(by: { $0.key < $1.key }) {
                guard !name.isEmpty, !name.contains("/"), ![modelFile, configFile, vocabFile, trainerStateFile, optimizerFile,
                                                              alpFile].contains(name) else {
                    throw fail("extra file name '\(name)' is empty, has a '/' or is one of the checkpoint's own files")
                }
                try put(name, [UInt8](bytes))
            }
            if let optimizer { try put(optimizerFile, try optimizerFile(optimizer).serialized()) }
            if model.alp.enabled { try put(alpFile, try model.alpFile().serialized()) }
            try syncDirectory(tmp)
            var old: URL?
            if fm.fileExists(atPath: dir.path) {
                let o = parent.appendingPathComponent(".\(dir.lastPathComponent).old-\(UUID().uuidString)")
                try posixRename(dir, o)
                old = o
            }
            try posixRename(tmp, dir)
            try syncDirectory(parent)
            if let old { try? fm.removeItem(at: old) }
        } catch {
            try? fm.removeItem(at: tmp)
            if let e = error as? PolicyError { throw e }
            throw fail("\(error)")
        }
    }

    /// Loads a checkpoint directory, validating config, tensor names and shapes, and the vocabulary.
    public static func load(from dir: URL) throws -> LoadedCheckpoint {
        let fm = FileManager.default
        guard fm.fileExists(atPath: dir.path) else { throw PolicyError.checkpoint(path: dir.path, detail: "does not exist") }
        let cfg = try ModelConfig.read(configJSON: dir.appendingPathComponent(configFile))
        let model = try GPT.load(safetensors: dir.appendingPathComponent(modelFile), config: cfg)
        let vURL = dir.appendingPathComponent(vocabFile)
        var vocab: [String: Int] = [:]
        if fm.fileExists(atPath: vURL.path) {
            do { vocab = try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: vURL)) } catch {
                throw PolicyError.checkpoint(path: vURL.path, detail: "not a JSON object of token → id: \(error)")
            }
            if let bad = vocab.first(where: { $0.value < 0 || $0.value >= cfg.vocabSize }) {
                throw PolicyError.checkpoint(path: vURL.path, detail:
                    "token '\(bad.key)' has id \(bad.value), outside vocab_size \(cfg.vocabSize) of config.json")
            }
        }
        let aURL = dir.appendingPathComponent(alpFile)
        if fm.fileExists(atPath: aURL.path) { try model.loadALP(from: try SafeTensorsFile.read(from: aURL)) }
        let sURL = dir.appendingPathComponent(trainerStateFile)
        let state = fm.fileExists(atPath: sURL.path) ? try Data(contentsOf: sURL) : nil
        let oURL = dir.appendingPathComponent(optimizerFile)
        let opt = fm.fileExists(atPath: oURL.path) ? try loadOptimizer(oURL, layout: model.layout) : nil
        return LoadedCheckpoint(model: model, optimizer: opt, vocab: vocab, trainerState: state)
    }

    /// AdamW state as safetensors: `<param>.exp_avg`, `<param>.exp_avg_sq`, `step` (I64 [1]),
    /// `alp.log_scales.exp_avg` / `.exp_avg_sq` (F32 [L], the ALP log-scales' moments; optional when
    /// loading), and the hyper-parameters as JSON in metadata key `adamw`.
    public static func optimizerFile(_ opt: AdamW) throws -> SafeTensorsFile {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]     // byte-stable files: equal state ⇔ equal bytes
        var f = SafeTensorsFile(metadata: ["adamw": String(decoding: try enc.encode(opt.config), as: UTF8.self)])
        for t in opt.layout.tensors {
            f.tensors[t.name + ".exp_avg"] = TensorData(floats: UnsafeBufferPointer(opt.m.slice(t.offset, t.count)),
                                                         shape: t.shape)
            f.tensors[t.name + ".exp_avg_sq"] = TensorData(floats: UnsafeBufferPointer(opt.v.slice(t.offset, t.count)),
                                                            shape: t.shape)
        }
        let L = opt.alpM.count
        f.tensors[GPT.alpLogScalesName + ".exp_avg"] = TensorData(floats: UnsafeBufferPointer(opt.alpM.buffer), shape: [L])
        f.tensors[GPT.alpLogScalesName + ".exp_avg_sq"] = TensorData(floats: UnsafeBufferPointer(opt.alpV.buffer), shape: [L])
        f.tensors["step"] = TensorData(int64s: [Int64(opt.step)], shape: [1])
        return f
    }

    static func loadOptimizer(_ url: URL, layout: ParameterLayout) throws -> AdamW {
        let f = try SafeTensorsFile.read(from: url)
        var cfg = AdamWConfig()
        if let j = f.metadata["adamw"] {
            do { cfg = try JSONDecoder().decode(AdamWConfig.self, from: Data(j.utf8)) } catch {
                throw PolicyError.checkpoint(path: url.path, detail: "metadata 'adamw' is not a valid AdamW config")
            }
        }
        let opt = AdamW(layout: layout, config: cfg)
        for t in layout.tensors {
            let m = try f.floats(t.name + ".exp_avg", shape: t.shape)
            let v = try f.floats(t.name + ".exp_avg_sq", shape: t.shape)
            _ = opt.m.slice(t.offset, t.count).update(fromContentsOf: m)
            _ = opt.v.slice(t.offset, t.count).update(fromContentsOf: v)
        }
        if f.tensors[GPT.alpLogScalesName + ".exp_avg"] != nil {
            let L = layout.nLayer
            _ = opt.alpM.buffer.update(fromContentsOf: try f.floats(GPT.alpLogScalesName + ".exp_avg", shape: [L]))
            _ = opt.alpV.buffer.update(fromContentsOf: try f.floats(GPT.alpLogScalesName + ".exp_avg_sq", shape: [L]))
        }
        let step = try f.int64s("step")
        guard step.count == 1, step[0] >= 0 else {
            throw PolicyError.checkpoint(path: url.path, detail: "tensor 'step' must hold one non-negative integer")
        }
        opt.step = Int(step[0])
        return opt
    }

    /// Writes `bytes` to `url` and fsyncs the file.
    static func writeDurably(_ bytes: [UInt8], to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw PolicyError.checkpoint(path: url.path, detail: "open failed: errno \(errno)") }
        defer { close(fd) }
        var done = 0
        try bytes.withUnsafeBytes { raw in
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }
                    throw PolicyError.checkpoint(path: url.path, detail: "write failed: errno \(errno)") }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw PolicyError.checkpoint(path: url.path, detail: "fsync failed: errno \(errno)") }
    }

    static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw PolicyError.checkpoint(path: url.path, detail: "cannot open directory: errno \(errno)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw PolicyError.checkpoint(path: url.path, detail: "directory fsync failed: errno \(errno)") }
    }

    static func posixRename(_ from: URL, _ to: URL) throws {
        guard rename(from.path, to.path) == 0 else {
            throw PolicyError.checkpoint(path: to.path, detail: "rename from \(from.path) failed: errno \(errno)")
        }
    }

    /// `config.json` with the special-token ids Hugging Face reads (`bos_token_id`,
    /// `eos_token_id`, `pad_token_id`) taken from the vocabulary's `<begin>`, `<end>` and
    /// `<pad>`, or null when it has none (transformers otherwise assumes GPT-2's 50256).
    static func configJSON(_ config: ModelConfig, vocab: [String: Int]) throws -> Data {
        guard var obj = try JSONSerialization.jsonObject(with: config.configJSON()) as? [String: Any] else {
            throw PolicyError.invalidConfig("config.json did not encode as an object")
        }
        for (key, token) in [("bos_token_id", "<begin>"), ("eos_token_id", "<end>"), ("pad_token_id", "<pad>")] {
            obj[key] = vocab[token].map { $0 as Any } ?? NSNull()
        }
        return try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
    }
}
