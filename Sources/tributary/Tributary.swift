// The `tributary` command line: one executable, one subcommand per thing a user does.
import ArgumentParser

@main
struct Tributary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "Distributed reinforcement learning: a learner daemon, rollout workers and a status endpoint.",
        version: "0.1.0",
        subcommands: [LearnerCommand.self, Import.self, Generate.self, WorkerCommand.self, StatusCommand.self, RunCommand.self, Pretrain.self, Train.self, Eval.self, Replay.self, ExperimentCommand.self, Bench.self, LoadgenCommand.self, ObjectivesCommand.self]
    )
}
