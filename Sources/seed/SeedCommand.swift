import ArgumentParser

@main
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Build small language models with the help of a bigger one.",
        subcommands: [TokenizerCommand.self, DataCommand.self, TrainCommand.self, GenerateCommand.self, BenchCommand.self, DemoCommand.self,
                      DesensitizeCommand.self, RestoreCommand.self, ServeCommand.self, DistillCommand.self, ProvenanceCommand.self,
                      StubTeacherCommand.self]
    )
}
