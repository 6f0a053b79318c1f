/// A chunk of whole lines of the input and where it starts.
struct LineBatch {
    var bytes: [UInt8]
    /// Content of each line (without its newline) as a range of `bytes`.
    var lines: [Range<Int>]
    var firstLineNumber: Int
}

/// What came of one batch, written by the stream in input order.
struct BatchResult {
    var output: [UInt8] = []
    var rejects: [UInt8] = []
    var rejectedLines: [Int] = []
    /// In stop mode: the first bad line; `output` then holds only the lines before it.
    var failure: PrivacyError?
    var records = 0
    var counts: [EntityType: Int] = [:]
    var unknown: [EntityType: Int] = [:]
}

public enum StreamFormat: String, Sendable, CaseIterable {
    /// One JSON value per line; string values are rewritten, everything else is copied.
    case jsonl
    /// Plain text; entities may be anywhere (a PEM block may span lines).
    case text
}

public enum BadLinePolicy: String, Sendable, CaseIterable {
    /// Stop at the first bad line, keeping the output of all lines before it.
    case stop
    /// Write bad lines to the rejects file and go on.
    case skip
}

/// Runs a transform over batches; one worker per thread, never shared while it runs.
final class BatchWorker<Transform: TextTransform> {
    var transform: Transform
    let format: StreamFormat
    let selector: FieldSelector?
    let onError: BadLinePolicy
    private var edits = EditList()
    private var unescaped: [UInt8] = []
    private var rejected: [Bool] = []
    /// The string values of the current line, and the edit offsets of one being mapped back to its raw bytes.
    private var offsets: [Int] = []
    private var values: [JSONLineWalker.StringValue] = []
    /// The entities written, per type, for the batch's result.
    private var counts = SmallTypeMap<Int>()

    init(transform: Transform, format: StreamFormat, selector: FieldSelector?, onError: BadLinePolicy) {
        self.transform = transform
        self.format = format
        self.selector = selector
        self.onError = onError
    }

    /// `output` is an array whose storage the result's output reuses (its contents are dropped).
    func process(_ batch: LineBatch, output: consuming [UInt8] = []) throws -> BatchResult {
        edits.removeAll()
        counts.removeAll()
        var result = BatchResult()
        result.output = consume output
        result.output.removeAll(keepingCapacity: true)
        result.output.reserveCapacity(batch.bytes.count + batch.bytes.count / 8)
        try batch.bytes.withUnsafeBufferPointer { input in
            switch format {
            case .text:
                transform.collect(input, key: nil, into: &edits)
                try transform.resolve(&edits)
                write(input, 0..<input.count, escaped: false, from: 0, into: &result)
                result.records = batch.lines.count
            case .jsonl:
                var lastLine = batch.lines.count
                rejected = [Bool](repeating: false, count: batch.lines.count)
                for (k, line) in batch.lines.enumerated() {
                    let before = edits.count
                    do {
                        try collectLine(input, line)
                    } catch let error as JSONLineError {
                        edits.truncate(to: before)
                        let failure = PrivacyError.badLine(line: batch.firstLineNumber + k, offset: error.offset, reason: error.message)
                        if onError == .stop {
                            result.failure = failure
                            lastLine = k
                            break
                        }
                        rejected[k] = true
                        result.rejectedLines.append(batch.firstLineNumber + k)
                    }
                }
                try transform.resolve(&edits)
                var next = 0
                for k in 0..<lastLine {
                    let line = batch.lines[k]
                    if rejected[k] {
                        result.rejects.append(contentsOf: input[line])
                        result.rejects.append(.newline)
                        continue
                    }
                    next = write(input, line, escaped: true, from: next, into: &result)
                    result.output.append(.newline)
                    result.records += 1
                }
            }
        }
        for (type, count) in zip(counts.types, counts.values) { result.counts[type] = count }
        return result
    }

    private func collectLine(_ input: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) throws {
        // A blank line carries no record: it is copied as it is.
        guard input[line].contains(where: { !isSpaceByte($0) }) else { return }
        let lineBuffer = UnsafeBufferPointer(rebasing: input[line])
        var walker = JSONLineWalker(lineBuffer, selector: selector)
        values.removeAll(keepingCapacity: true)
        try walker.walk(into: &values)
        for value in values {
            let base = line.lowerBound + value.start
            let raw = UnsafeBufferPointer(rebasing: input[base..<(line.lowerBound + value.end)])
            let key = value.keyEnd > value.keyStart
                ? UnsafeBufferPointer(rebasing: input[(line.lowerBound + value.keyStart)..<(line.lowerBound + value.keyEnd)]) : nil
            let first = edits.count
            if value.hasEscapes {
                guard JSONEscapes.unescape(raw, into: &unescaped) else { throw JSONLineError(offset: value.start, message: "invalid escape") }
                unescaped.withUnsafeBufferPointer { transform.collect($0, key: key, into: &edits) }
                guard edits.count > first else { continue }
                offsets.removeAll(keepingCapacity: true)
                for k in first..<edits.count { offsets.append(edits.edits[k].start); offsets.append(edits.edits[k].end) }
                JSONEscapes.rawOffsets(raw, unescaped: &offsets)
                for k in first..<edits.count {
                    edits.edits[k].start = base + offsets[2 * (k - first)]
                    edits.edits[k].end = base + offsets[2 * (k - first) + 1]
                }
            } else {
                transform.collect(raw, key: key, into: &edits)
                for k in first..<edits.count {
                    edits.edits[k].start += base
                    edits.edits[k].end += base
                }
            }
        }
    }

    /// Copies `range` of the input with the edits that fall inside it applied, starting at edit `from`;
    /// returns the first edit after the range.
    @discardableResult
    private func write(_ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool, from: Int, into result: inout BatchResult) -> Int {
        var position = range.lowerBound
        var k = from
        // How the line writes characters beyond ASCII, read at the first replacement that has some.
        var style: JSONEscapes.NonASCIIStyle?
        // The edit list's arrays are borrowed once for the line: reading them through `edits` at every
        // edit retained and released their storage each time.
        edits.edits.withUnsafeBufferPointer { all in
            edits.replacements.withUnsafeBufferPointer { r in
                while k < all.count, all[k].start < range.upperBound {
                    let e = all[k]
                    result.output.append(contentsOf: UnsafeBufferPointer(rebasing: input[position..<e.start]))
                    let replacement = UnsafeBufferPointer(rebasing: r[e.replacementStart..<e.replacementEnd])
                    if escaped {
                        var lineStyle = JSONEscapes.NonASCIIStyle.raw
                        if replacement.contains(where: { $0 >= 0x80 }) {
                            if style == nil { style = JSONEscapes.nonASCIIStyle(of: UnsafeBufferPointer(rebasing: input[range])) }
                            lineStyle = style!
                        }
                        JSONEscapes.appendEscaped(replacement, to: &result.output, nonASCII: lineStyle)
                    } else {
                        result.output.append(contentsOf: replacement)
                    }
                    if e.unknown {
                        result.unknown[e.type, default: 0] += 1
                    } else {
                        counts[e.type, default: 0] += 1
                    }
                    position = e.end
                    k += 1
                }
            }
        }
        result.output.append(contentsOf: UnsafeBufferPointer(rebasing: input[position..<range.upperBound]))
        return k
    }
}

/// A transform applied to one text or one JSON record at a time: what `Desensitizer` and `Restorer` share.
/// Not thread-safe: one per caller thread, as the workers' scratch buffers are reused between calls.
final class SingleRecordWorker<Transform: TextTransform> {
    private let json: BatchWorker<Transform>
    private let text: BatchWorker<Transform>

    init(transform: Transform, fields: FieldSelector?) {
        json = BatchWorker(transform: transform, format: .jsonl, selector: fields, onError: .stop)
        text = BatchWorker(transform: transform, format: .text, selector: nil, onError: .stop)
    }

    func process(text input: String) throws -> String {
        let bytes = Array(input.utf8)
        let result = try text.process(LineBatch(bytes: bytes, lines: [0..<bytes.count], firstLineNumber: 1))
        return String(decoding: result.output, as: UTF8.self)
    }

    /// One JSON record (no newline); throws `PrivacyError.badLine` if it is not valid JSON.
    func process(jsonLine: String) throws -> String {
        let bytes = Array(jsonLine.utf8)
        let result = try json.process(LineBatch(bytes: bytes, lines: [0..<bytes.count], firstLineNumber: 1))
        if let failure = result.failure { throw failure }
        return String(decoding: result.output.dropLast(), as: UTF8.self)
    }
}
