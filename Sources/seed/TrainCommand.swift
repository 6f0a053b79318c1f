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

/// Redraws one progress line on a terminal; prints a JSON line per report otherwise (rate limited).
final class ProgressReporter {
    let label: String
    private var lastPrint = Date.distantPast

    init(label: String) { self.label = label }

    func report(_ p: TrainingProgress) {
        let now = Date()
        let final = p.step == p.steps
        let last = final || p.valLoss != nil
        if standardErrorIsTerminal {
            guard last || now.timeIntervalSince(lastPrint) > 0.2 else { return }
            let val = p.valLoss.map { String(format: " | val %.4f", $0) } ?? ""
            let line = String(format: "\r%@ step %d/%d | loss %.4f%@ | lr %.2e | %@ tok/s | %@ elapsed | ETA %@\u{1B}[K",
                              label, p.step, p.steps, p.loss, val, p.lr, formatRate(p.tokensPerSecond),
                              formatDuration(p.elapsedSeconds), formatDuration(p.etaSeconds))
            FileHandle.standardError.write(Data(line.utf8))
            // A validation result stays on screen: the next report starts a new line.
            if p.valLoss != nil && !final { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            guard last || now.timeIntervalSince(lastPrint) > 5 else { return }
            let val = p.valLoss.map { String(format: ", \"val_loss\": %.5f", $0) } ?? ""
            printError(String(format: "{\"step\": %d, \"steps\": %d, \"loss\": %.5f%@, \"tokens_per_s\": %.1f, \"eta_s\": %.1f}",
                              p.step, p.steps, p.loss, val, p.tokensPerSecond, p.etaSeconds))
        }
        lastPrint = now
    }

    func finish() {
        if standardErrorIsTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
