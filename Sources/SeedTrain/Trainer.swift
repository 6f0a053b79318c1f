import Foundation
import SeedModel
import SeedTensor

/// What the trainer reports after each optimizer step.
public struct TrainingProgress: Sendable {
    public var step: Int
    public var steps: Int
    public var loss: Double
    public var valLoss: Double?
    public var lr: Double
    public var tokensPerSecond: Double
    public var elapsedSeconds: Double
    public var etaSeconds: Double
}

public struct TrainingSummary: Sendable {
    public var steps: Int
    public var finalLoss: Double
    public var finalValLoss: Double?
    public var elapsedSeconds: Double
    public var parameters: Int
}

/// Pre-training on token shards: the loop, validation, logging and the checkpoints that make resuming exact.
///
/// Exactness rests on three things: every kernel sums in an order fixed by the sizes alone; all randomness
/// flows from the seed (weight init, data order); and a checkpoint holds everything that changes across
/// steps (weights, both Adam moments, the step, the loader's position), written so that a kill leaves
/// either the previous checkpoint or the new one, never a mixture.
public final class Trainer {
    public let run: RunFolder
    public let config: TrainingConfig
    public let model: LlamaModel
    private let trainLoader: DataLoader
    private let valLoader: DataLoader?
    private let pass: TrainingPass
    private let gradients: FloatBuffer
    private let optimizer: AdamW
    private let schedule: LearningRateSchedule
    private var step = 0
    private var elapsedBefore = 0.0

    /// Sets up a new run in `runDirectory`; a folder that already holds a run is refused.
    public convenience init(dataDirectory: URL, runDirectory: URL, config: TrainingConfig) throws {
        try self.init(dataDirectory: dataDirectory, runDirectory: runDirectory, requested: config, resume: false)
    }

    /// Continues the run in `runDirectory` from its last saved state, with its saved configuration;
    /// `steps` extends or shortens the run.
    public convenience init(resuming runDirectory: URL, dataDirectory: URL, steps: Int? = nil) throws {
        try self.init(dataDirectory: dataDirectory, runDirectory: runDirectory, requested: nil, resume: true, steps: steps)
    }

    private init(dataDirectory: URL, runDirectory: URL, requested: TrainingConfig?, resume: Bool, steps: Int? = nil) throws {
        run = RunFolder(runDirectory)
        var saved: TrainerState?
        var config: TrainingConfig
        if resume {
            saved = try run.loadState()
            guard let saved else { throw TrainingError.nothingToResume(runDirectory.path) }
            config = saved.config
            if let steps { config.steps = steps }
        } else {
            if run.holdsRun { throw TrainingError.runExists(runDirectory.path) }
            config = requested ?? TrainingConfig()
        }
        let data = try TrainingData(directory: dataDirectory)
        try config.validate()
        var modelConfig = config.modelConfig(vocabSize: data.vocabularySize)
        modelConfig.eosTokenId = data.endOfTextId
        try modelConfig.validate()
        self.config = config
        model = try LlamaModel(config: modelConfig)
        trainLoader = try DataLoader(shard: data.train, batch: config.batch, seqLen: config.context, seed: config.seed)
        valLoader = try data.validation.map { try DataLoader(shard: $0, batch: config.batch, seqLen: config.context, seed: config.seed) }
        pass = TrainingPass(model: model, batch: config.batch, seqLen: config.context)
        gradients = FloatBuffer(count: model.layout.count)
        optimizer = AdamW(layout: model.layout, weightDecay: Float(config.weightDecay))
        schedule = LearningRateSchedule(peak: config.lr, minimum: config.resolvedMinLr, warmup: config.warmup, total: config.steps)

        if let saved {
            try run.restore(into: model, optimizer: optimizer)
            step = saved.step
            elapsedBefore = saved.elapsedSeconds
            trainLoader.seek(to: saved.loader)
        } else {
            model.initializeWeights(seed: config.seed)
            try run.create(model: model, config: config, tokenizerSource: data.tokenizerFile)
        }
    }

    public var tokensPerStep: Int { config.batch * config.context * config.accum }

    /// Optimizer steps already taken (non-zero after resuming).
    public var completedSteps: Int { step }

    /// Trains until `config.steps` (or until step `stop`, to train in segments), calling `progress` after
    /// every step. Saves every `saveEvery` steps and at the end.
    @discardableResult
    public func train(until stop: Int? = nil, progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingSummary {
        let last = min(stop ?? config.steps, config.steps)
        let log = try TrainingLog(url: run.logURL, keepThrough: step == 0 ? nil : step)
        let clock = ContinuousClock()
        let started = clock.now
        var intervalStart = clock.now
        var intervalTokens = 0
        var lastLoss = Double.nan, lastVal: Double?
        var elapsed: Double { elapsedBefore + (clock.now - started).seconds }
        let stepsAtStart = step
        while step < last {
            let lr = schedule.rate(at: step)
            let (loss, norm) = trainStep(lr: lr)
            step += 1
            lastLoss = loss
            intervalTokens += tokensPerStep
            var valLoss: Double?
            if let valLoader, config.evalEvery > 0, config.evalBatches > 0, step % config.evalEvery == 0 || step == config.steps {
                valLoss = evaluate(valLoader)
                lastVal = valLoss
            }
            let now = clock.now
            let rate = Double(intervalTokens) / max(1e-9, (now - intervalStart).seconds)
            if step % config.logEvery == 0 || valLoss != nil || step == config.steps {
                try log.append(TrainingLogEntry(step: step, loss: loss, lr: lr, tokensPerSecond: rate,
                                                elapsedSeconds: elapsed, valLoss: valLoss, gradNorm: norm))
                intervalStart = now
                intervalTokens = 0
            }
            if config.saveEvery > 0 && step % config.saveEvery == 0 || step == last {
                try save(elapsed: elapsed)
            }
            let done = step - stepsAtStart
            let perStep = (now - started).seconds / Double(max(1, done))
            progress(TrainingProgress(step: step, steps: config.steps, loss: loss, valLoss: valLoss, lr: lr,
                                      tokensPerSecond: rate, elapsedSeconds: elapsed,
                                      etaSeconds: perStep * Double(config.steps - step)))
        }
        return TrainingSummary(steps: step, finalLoss: lastLoss, finalValLoss: lastVal, elapsedSeconds: elapsed,
                               parameters: model.layout.count)
    }

    /// One optimizer step over `accum` micro-batches from the training loader.
    private func trainStep(lr: Double) -> (Double, Double) {
        let optimizerStep = OptimizerStep(model: model, pass: pass, gradients: gradients, optimizer: optimizer,
                                          accum: config.accum, gradClip: config.gradClip)
        let result = optimizerStep.run(lr: lr, t: step + 1) {
            trainLoader.next()
            return (UnsafePointer(trainLoader.inputs), UnsafePointer(trainLoader.targets))
        }
        return (result.loss, result.norm)
    }

    /// Mean loss over the fixed validation batches.
    public func evaluate(_ loader: DataLoader) -> Double {
        var lossSum = 0.0, count = 0
        for i in 0..<config.evalBatches {
            loader.loadEvaluationBatch(i, of: config.evalBatches)
            pass.forward(tokens: loader.inputs)
            let result = pass.loss(targets: loader.targets)
            lossSum += result.lossSum
            count += result.count
        }
        return lossSum / Double(max(1, count))
    }

    private func save(elapsed: Double) throws {
        let state = TrainerState(step: step, loader: trainLoader.position, elapsedSeconds: elapsed, config: config)
        try run.save(model: model, optimizer: optimizer, state: state)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
