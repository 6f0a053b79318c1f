import ArgumentParser
import Foundation
import SeedTrain

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Seed's kernels and training speed, next to numpy's OpenBLAS where it is installed.",
        subcommands: [BenchGemmCommand.self, BenchTrainCommand.self, BenchTokenizerCommand.self,
                     BenchDesensitizeCommand.self, BenchServeCommand.self, BenchTeacherCommand.self])
}

struct BenchOutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object per line instead of a table.") var json = false

    func emit(_ results: [BenchmarkResult]) {
        for r in results {
            if json { print(r.json); continue }
            var line = "\(r.name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%7.1f", r.gflops)) GFLOP/s"
            if let ref = r.refGflops, let ratio = r.ratio {
                line += String(format: "   numpy %6.1f  (×%.2f)", ref, ratio)
                if let avx = r.refAvx512Gflops { line += String(format: "   numpy SkylakeX %6.1f", avx) }
            }
            if r.tokensPerSecond == nil, let peak = r.peakGflops { line += String(format: "   %.0f%% of peak", r.gflops / peak * 100) }
            if let tps = r.tokensPerSecond, let mfu = r.mfu, let step = r.stepSeconds, let fpt = r.flopsPerToken {
                line += String(format: "   %.0f tokens/s, %.3f s/step, %.2f GFLOP/token, MFU %.1f%% of %.1f GFLOP/s",
                               tps, step, fpt / 1e9, mfu * 100, r.peakGflops ?? 0)
            }
            print(line)
        }
    }
}

struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "GFLOP/s of GEMM on training shapes.")
    @OptionGroup var output: BenchOutputOptions
    @Option(help: "Seconds per measurement.") var seconds = 0.5

    func run() throws {
        output.emit(Benchmarks.gemm(seconds: seconds))
    }
}

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Tokens/s and MFU of full training steps; the default shape is GPT-2 small at context 64, batch 4.")
    @OptionGroup var output: BenchOutputOptions
    @OptionGroup var model: ModelShapeOptions
    @Option(help: "Micro-batches per step.") var accum = 1
    @Option(help: "Vocabulary size (GPT-2's by default).") var vocab = 50257
    @Option(help: "Timed steps (after one warm-up step).") var steps = 5

    func run() throws {
        try reportingErrors {
            var config = TrainingConfig()
            config.layers = 12; config.heads = 12; config.dim = 768; config.context = 64; config.batch = 4
            model.apply(to: &config)
            config.accum = accum
            let peak = Benchmarks.gemmPeak()
            output.emit([try Benchmarks.train(config: config, vocabularySize: vocab, steps: steps, peakGflops: peak)])
        }
    }
}
