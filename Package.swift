// swift-tools-version: 6.0
// Tributary: a distributed reinforcement-learning service.
// Layering (lower never imports higher): C shims → Wire/H2/TLS → Transport;
// Tensor → Policy → Tasks/Objectives → Rollout → Training → Learner/Worker, Lab → tributary
// (see docs/design/ARCHITECTURE.md); Rewards (reward functions, external reward programs) sits
// below Tasks. Training (the one training step, trainer, evaluation) is below both the learner
// daemon and Lab (offline experiments, charts); the daemon never imports Lab. Tooling
// (Benchmarks, LoadTools) sits beside the libraries, used only by the CLI and tests.
import PackageDescription

/// The numeric kernels (Tensor, Policy) in release builds: -Ounchecked, and on x86-64 hosts
/// AVX2/FMA code generation for the SIMD8 kernels (~5 % on a learner update; any x86-64 CPU
/// since 2013 has it).
let kernelSettings: [SwiftSetting] = {
    #if arch(x86_64)
    let flags = ["-Ounchecked", "-target-cpu", "haswell"]
    #else
    let flags = ["-Ounchecked"]
    #endif
    return [.unsafeFlags(flags, .when(configuration: .release))]
}()

/// The network stack (Wire, H2, Transport) in release builds: no dynamic exclusivity checks
/// (~4 % of a small RPC's CPU in `perf`; debug builds and tests keep them).
let netSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Tributary",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tributary", targets: ["tributary"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // The configuration file (full TOML grammar, errors with line and column).
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Start-up and graceful shutdown (SIGTERM/SIGINT) of the daemons.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C system libraries (apt packages; pkg-config finds the flags).
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // net
        .target(name: "Wire", swiftSettings: netSettings),
        .target(name: "H2", dependencies: ["CNGHTTP2"], swiftSettings: netSettings),
        .target(name: "TLS", dependencies: ["COpenSSL", "Wire"]),
        .target(name: "Transport", dependencies: [
            "Wire", "H2", "TLS",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: netSettings),
        // libFuzzer harness for the deframer and decoders (corpus replayer in normal builds).
        .executableTarget(name: "WireFuzz", dependencies: ["Wire"]),

        // math / model
        // Few-rows F32 GEMM against Linear-layout weights (decode steps): AVX-512 / AVX2 / C, chosen at run time.
        .target(name: "CFewRowsGemm", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CFewRowsGemm"], swiftSettings: kernelSettings),
        // Model files from elsewhere: GGUF v3 and Hugging Face directories (safetensors, shards).
        .target(name: "ModelFiles", dependencies: ["Tensor"]),
        // Text ↔ token ids: byte-level BPE (tokenizer.json, GGUF metadata) and its pre-tokenizers.
        .target(name: "Tokenizers"),
        // Chat templates: the Jinja subset that models' tokenizer_config.json templates use.
        .target(name: "ChatTemplates"),
        .target(name: "Policy", dependencies: ["Tensor"], swiftSettings: kernelSettings),

        // rl
        .target(name: "Tasks", dependencies: ["Tensor", "Rewards"]),
        // Pretrained models as policies: GGUF / Hugging Face → GPT + ModelTokenizer, and back.
        .target(name: "Pretrained", dependencies: ["ModelFiles", "Tokenizers", "ChatTemplates", "Policy", "Tasks", "Tensor"]),
        .target(name: "Objectives", dependencies: ["Tensor", "Policy", "Rollout"]),
        // Rewards as users write them: rows with metadata, composable reward functions, and
        // hardened external rewards (process pool with rlimits, HTTP). The C shim sets the
        // limits between fork and exec.
        .target(name: "CRewardSpawn"),
        .target(name: "Rewards", dependencies: ["CRewardSpawn"]),
        // Sampling and scoring groups with the policy: shared by the trainer and the worker.
        .target(name: "Rollout", dependencies: ["Tensor", "Policy", "Tasks", "Wire"]),

        // The one training step both loops run (TrainingStep), the trainer, batch files and dumps,
        // trainer state, evaluation and pretraining, learning health, the synchronous loop.
        .target(name: "Training", dependencies: ["Tensor", "Policy", "Tasks", "Objectives", "Rollout", "Pretrained"]),
        // The offline lab: experiments (simulated asynchrony), their reports, and the SVG charts.
        .target(name: "Lab", dependencies: ["Training", "Tensor", "Policy", "Tasks", "Objectives", "Rollout"]),

        // service
        .target(name: "Learner", dependencies: [
            "Tensor", "Policy", "Tasks", "Rewards", "Pretrained", "Objectives", "Rollout", "Training", "Transport", "Wire",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(name: "Worker", dependencies: ["Tensor", "Policy", "Tasks", "Rewards", "Pretrained", "Rollout", "Transport", "Wire",
                                               .product(name: "Logging", package: "swift-log")]),

        // tooling, kept out of the libraries (as swift-nio keeps NIOPerformanceTester apart)
        // Benchmarks: the policy, decode-GEMM and transport measurements behind `tributary bench`.
        .target(name: "Benchmarks", dependencies: [
            "Tensor", "Policy", "Transport", "Wire", "TLS",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        // LoadTools: simulated workers and the bad-input scenario behind `tributary loadgen`.
        .target(name: "LoadTools", dependencies: ["Worker", "Wire"]),

        // app
        .executableTarget(name: "tributary", dependencies: [
            "Policy", "Tasks", "Pretrained", "ModelFiles", "Objectives", "Rollout", "Training", "Lab", "Learner", "Worker", "Tensor", "Transport", "Wire", "TLS",
            "Benchmarks", "LoadTools",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // tests: one target per module plus end-to-end
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "H2Tests", dependencies: ["H2", "TLS"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "Wire"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Benchmarks"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "ModelFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ChatTemplatesTests", dependencies: ["ChatTemplates", "ModelFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "Rewards"]),
        .testTarget(name: "PretrainedTests", dependencies: ["Pretrained", "ModelFiles", "Rewards"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ObjectivesTests", dependencies: ["Objectives", "Rollout", "Policy", "Tensor"]),
        .testTarget(name: "RewardsTests", dependencies: ["Rewards"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RolloutTests", dependencies: ["Rollout", "Objectives", "Policy", "Tasks", "Tensor", "Wire"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Rollout", "Tasks", "Policy", "Objectives", "Tensor"]),
        .testTarget(name: "LabTests", dependencies: ["Lab"]),
        .testTarget(name: "LearnerTests", dependencies: ["Learner", "Training", "Rollout", "Worker", "Transport", "Rewards"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Rollout", "Tasks", "Rewards", "Wire"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Policy", "Tensor"]),
        .testTarget(name: "EndToEndTests", dependencies: ["tributary", "Pretrained", "Policy", "ModelFiles"]),
    ]
)

// Declarations are `package` (nothing outside this package links the libraries), except in the
// hot numeric and network layers — Tensor, Policy, Wire, H2, TLS, Transport — which stay
// `public`: the compiler's default cross-module optimisation serialises only `public` bodies,
// and with `package` there the policy bench ran 10–25 % and the transport bench ~15 % slower,
// even with `-package-cmo` (docs/benchmarks.md, "Access level"). Release builds of every other
// module get the default cross-module optimisation within the package boundary.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-package-cmo", "-allow-non-resilient-access"], .when(configuration: .release)),
    ]
}
