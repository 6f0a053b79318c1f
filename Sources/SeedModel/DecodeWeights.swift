import SeedTensor

/// A model's weight matrices packed into `DecodeMatmul`'s panels, once, when an inference object is made.
///
/// The copy is the price of decoding in panels: as much memory again as the matrices (3.3 MB for the demo
/// model, 500 MB for a GPT-2-small-sized one), and packing it reads them all once (a fraction of a second at
/// GPT-2 small's size). It is taken from the weights as they are at that moment: an object built before
/// the weights change (training goes on) keeps computing with the old ones.
final class DecodeWeights {
    struct Block {
        let qkv: WeightPanels, output: WeightPanels, gateUp: WeightPanels, down: WeightPanels
    }

    let blocks: [Block]
    let head: WeightPanels
    private let storage: FloatBuffer

    init(model: LlamaModel, pool: ThreadPool = .shared) {
        let c = model.config
        let qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim
        // (offset in the model, outputs, inputs) of every matrix, in the order they are packed.
        var shapes: [(source: Int, outputs: Int, inputs: Int)] = []
        for block in model.layout.blocks {
            shapes.append((block.qkv, qDim + 2 * kvDim, c.dim))
            shapes.append((block.output, c.dim, qDim))
            shapes.append((block.gateUp, 2 * c.hidden, c.dim))
            shapes.append((block.down, c.dim, c.hidden))
        }
        shapes.append((model.layout.head, c.vocabSize, c.dim))
        storage = FloatBuffer(count: shapes.reduce(0) { $0 + WeightPanels.floatCount(outputs: $1.outputs, inputs: $1.inputs) }, zeroed: false)
        var packed: [WeightPanels] = []
        var offset = 0
        for shape in shapes {
            let target = storage.pointer + offset
            DecodeMatmul.pack(model.pointer(shape.source), outputs: shape.outputs, inputs: shape.inputs, into: target, pool: pool)
            packed.append(WeightPanels(pointer: target, outputs: shape.outputs, inputs: shape.inputs))
            offset += WeightPanels.floatCount(outputs: shape.outputs, inputs: shape.inputs)
        }
        blocks = model.layout.blocks.indices.map {
            Block(qkv: packed[4 * $0], output: packed[4 * $0 + 1], gateUp: packed[4 * $0 + 2], down: packed[4 * $0 + 3])
        }
        head = packed[packed.count - 1]
    }
}
