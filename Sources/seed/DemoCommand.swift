import ArgumentParser
import Foundation
import SeedModel
import SeedTrain

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Tokenize the bundled Shakespeare sample, train a small model for about two minutes, print samples.")

    @Option(help: "Folder for the demo's data and model (replaced if it holds an earlier demo).") var out = "runs/demo"
    @Option(help: "Training steps (the default takes about two minutes on 2 cores).") var steps = DemoRecipe.defaultSteps
    @Option(name: .customLong("sample-tokens"), help: "Tokens per printed sample.") var sampleTokens = 300

    func run() throws {
        try reportingErrors {
            guard let corpus = Bundle.module.url(forResource: "sample", withExtension: nil) else {
                throw ValidationError("the sample corpus is missing from this build of seed")
            }
            let recipe = try DemoRecipe(folder: URL(fileURLWithPath: out), corpus: corpus, steps: steps)
            let summary = try recipe.tokenize()
            print("tokenized \(summary.files) files: \(summary.trainTokens) training and \(summary.valTokens) validation bytes")
            let reporter = ProgressReporter(label: "demo")
            let result = try recipe.train { reporter.report($0) }
            reporter.finish()
            print(String(format: "trained %d steps in %@: val loss %.4f", result.steps, formatDuration(result.elapsedSeconds),
                         result.finalValLoss ?? .nan))
            for (i, prompt) in DemoRecipe.prompts.enumerated() {
                print("\n--- sample \(i + 1) ---")
                print(try recipe.sample(prompt: prompt, tokens: sampleTokens, seed: UInt64(i)))
            }
            print("\nmodel saved in \(recipe.runFolder.path); try: seed generate --model \(recipe.runFolder.path) --prompt \"ROMEO:\"")
        }
    }
}
