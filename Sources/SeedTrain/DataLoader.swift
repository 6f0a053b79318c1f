import SeedTensor

/// Where a data loader stands: enough to continue the same sequence of batches after a restart.
public struct LoaderPosition: Codable, Sendable, Equatable {
    public var epoch: Int
    public var cursor: Int
}

/// Batches of `batch` windows of `seqLen + 1` tokens (inputs and next-token targets) from a token shard.
///
/// The shard is cut into non-overlapping windows; each epoch visits all of them once in an order shuffled
/// with `seed` and the epoch number, so the order is the same on every run and needs no state beyond
/// (epoch, cursor) to resume.
public final class DataLoader {
    public let shard: TokenShard
    public let batch: Int
    public let seqLen: Int
    public let seed: UInt64
    public private(set) var position = LoaderPosition(epoch: 0, cursor: 0)
    private var order: [Int32] = []
    public let inputs: UnsafeMutablePointer<Int32>
    public let targets: UnsafeMutablePointer<Int32>
    private let window: UnsafeMutablePointer<Int32>

    public var windowCount: Int { (shard.count - 1) / seqLen }

    public init(shard: TokenShard, batch: Int, seqLen: Int, seed: UInt64) throws {
        guard (shard.count - 1) / seqLen >= 1 else {
            throw TrainingError.dataTooSmall(tokens: shard.count, needed: seqLen + 1)
        }
        self.shard = shard
        self.batch = batch
        self.seqLen = seqLen
        self.seed = seed
        inputs = .allocate(capacity: batch * seqLen)
        targets = .allocate(capacity: batch * seqLen)
        window = .allocate(capacity: seqLen + 1)
        shuffle()
    }

    deinit { inputs.deallocate(); targets.deallocate(); window.deallocate() }

    public func seek(to position: LoaderPosition) {
        self.position = position
        shuffle()
    }

    /// Fills `inputs` and `targets` with the next batch.
    public func next() {
        for row in 0..<batch {
            if position.cursor == order.count {
                position = LoaderPosition(epoch: position.epoch + 1, cursor: 0)
                shuffle()
            }
            load(windowStart: Int(order[position.cursor]) * seqLen, row: row)
            position.cursor += 1
        }
    }

    private func load(windowStart: Int, row: Int) {
        shard.copy(from: windowStart, count: seqLen + 1, into: window)
        (inputs + row * seqLen).update(from: window, count: seqLen)
        (targets + row * seqLen).update(from: window + 1, count: seqLen)
    }

    private func shuffle() {
        order = (0..<Int32(windowCount)).map { $0 }
        var random = SeededRandom(seed: seed &+ UInt64(position.epoch) &* 0x9E37_79B9_7F4A_7C15)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, random.nextIndex(below: i + 1))
        }
    }

    /// Fills `inputs`/`targets` with the `index`-th of `count` evaluation batches, spread evenly over the
    /// shard, so that validation always measures the same tokens.
    public func loadEvaluationBatch(_ index: Int, of count: Int) {
        let windows = count * batch
        let spacing = max(1, (shard.count - seqLen - 1) / max(1, windows))
        for row in 0..<batch {
            let start = min((index * batch + row) * spacing, shard.count - seqLen - 1)
            load(windowStart: start, row: row)
        }
    }
}
