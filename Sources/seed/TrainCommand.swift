import ArgumentParser
import Foundation
import SeedTrain

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Pre-train a Llama-style model on token shards (train.bin, val.bin).",
        discussion: "Flags override --config; unset ones take the defaults of nanoGPT's CPU Shakespeare run. "
            + "With --resume the run's saved configuration is used and only --steps may change.")

    @Option(help: "Folder with train.bin and val.bin (from `seed data tokenize`).") var data: String
    @Option(help: "Run folder to create (or continue with --resume).") var out: String
    @Option(help: "YAML file of training settings (snake_case keys, e.g. kv_heads, min_lr).") var config: String?
    @OptionGroup var model: ModelShapeOptions
    @OptionGroup var optimisation: OptimisationOptions
    @Flag(help: "Continue the run in --out from its last saved state.") var resume = false

    func run() throws {
        try reportingErrors {
            let dataURL = URL(fileURLWithPath: data), runURL = URL(fileURLWithPath: out)
            let trainer: Trainer
            if resume {
                let overridden = model.anySet || optimisation.anySetBesidesSteps || config != nil
                if overridden { throw ValidationError("with --resume only --steps may be given; the run keeps its saved settings") }
                trainer = try Trainer(resuming: runURL, dataDirectory: dataURL, steps: optimisation.steps)
            } else {
                var settings = try config.map { try TrainingConfig.load(yamlAt: URL(fileURLWithPath: $0)) } ?? TrainingConfig()
                model.apply(to: &settings)
                optimisation.apply(to: &settings)
                trainer = try Trainer(dataDirectory: dataURL, runDirectory: runURL, config: settings)
            }
            if trainer.completedSteps >= trainer.config.steps {
                print("\(out) is already at step \(trainer.completedSteps) of \(trainer.config.steps); pass --steps to train further")
                return
            }
            let reporter = ProgressReporter(label: "train")
            printError("training \(trainer.model.layout.count.formatted()) parameters, \(trainer.tokensPerStep) tokens per step, "
                       + "\(trainer.config.steps) steps -> \(out)")
            let summary = try trainer.train { reporter.report($0) }
            reporter.finish()
            let val = summary.finalValLoss.map { String(format: ", val loss %.4f", $0) } ?? ""
            print(String(format: "trained %d steps in %@: loss %.4f%@; model in %@", summary.steps,
                         formatDuration(summary.elapsedSeconds), summary.finalLoss, val, out))
        }
    }
}
