import Foundation
import SeedTokenizer

/// Hugging Face `tokenizers` and tiktoken on the same corpus and vocabulary as Seed, run by python3 as a child
/// process; every function returns nil when python3 or the package is missing.
enum TokenizerPeers {
    struct Encoding {
        var tiktokenSeconds: Double
        var tiktokenBatchSeconds: Double
        var tiktokenDecodeSeconds: Double
        var huggingFaceSeconds: Double
        var tiktokenIds: [Int32]
        var huggingFaceIds: [Int32]
    }

    /// tiktoken's own spelling of the split patterns (possessive forms; its regex engine supports them).
    static func tiktokenPattern(_ pattern: SplitPattern) -> String {
        switch pattern {
        case .gpt2: return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        case .gpt4: return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .llama3: return pattern.regex
        }
    }

    static func huggingFaceTrainingSeconds(corpus: URL, vocabularySize: Int, pattern: SplitPattern) -> Double? {
        let script = """
        import sys, time
        from tokenizers import Tokenizer, Regex, models, pre_tokenizers, trainers
        corpus, vocab, kind, regex = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
        tokenizer = Tokenizer(models.BPE())
        if kind == "gpt2":
            tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        else:
            tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(regex), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=\(BPETrainer.defaultMinimumFrequency), show_progress=False,
                                      special_tokens=\(pythonList(Tokenizer.defaultSpecialTokens)),
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        start = time.perf_counter()
        tokenizer.train([corpus], trainer)
        print(time.perf_counter() - start)
        """
        return NumpyReference.runPython(script, arguments: [corpus.path, String(vocabularySize), pattern.rawValue, pattern.regex])
            .flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func encoding(tokenizerJSON: URL, corpus: URL, pattern: SplitPattern, repeats: Int) -> Encoding? {
        let folder = tokenizerJSON.deletingLastPathComponent()
        let tiktokenIds = folder.appendingPathComponent("tiktoken.ids"), hfIds = folder.appendingPathComponent("hf.ids")
        let script = """
        import array, json, os, sys, time
        import tiktoken
        from tokenizers import Tokenizer
        path, corpus, pat, repeats, tiktoken_out, hf_out = sys.argv[1:7]
        repeats = int(repeats)
        # GPT-2's byte-level alphabet, to turn vocabulary strings back into bytes.
        printable = [b for b in range(256) if 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
        others = [b for b in range(256) if b not in printable]
        char_to_byte = {chr(b): b for b in printable}
        char_to_byte.update({chr(256 + i): b for i, b in enumerate(others)})
        spec = json.load(open(path, encoding="utf-8"))
        specials = {t["content"]: t["id"] for t in spec["added_tokens"]}
        ranks = {bytes(char_to_byte[c] for c in token): i for token, i in spec["model"]["vocab"].items() if token not in specials}
        enc = tiktoken.Encoding(name="seed", pat_str=pat, mergeable_ranks=ranks, special_tokens=specials)
        text = open(corpus, encoding="utf-8", newline="").read()
        def median(f):
            times = []
            for _ in range(repeats):
                start = time.perf_counter(); f(); times.append(time.perf_counter() - start)
            return sorted(times)[len(times) // 2]
        ids = enc.encode_ordinary(text)
        single = median(lambda: enc.encode_ordinary(text))
        chunks, step = [], 1 << 16
        lines = text.splitlines(keepends=True)
        current = []
        size = 0
        for line in lines:
            current.append(line); size += len(line)
            if size >= step:
                chunks.append("".join(current)); current = []; size = 0
        chunks.append("".join(current))
        batch = median(lambda: enc.encode_ordinary_batch(chunks, num_threads=os.cpu_count()))
        decode = median(lambda: enc.decode_bytes(ids))
        array.array("i", ids).tofile(open(tiktoken_out, "wb"))
        hf = Tokenizer.from_file(path)
        start = time.perf_counter()
        hf_ids = hf.encode(text, add_special_tokens=False).ids
        hf_seconds = time.perf_counter() - start
        array.array("i", hf_ids).tofile(open(hf_out, "wb"))
        print(single, batch, decode, hf_seconds)
        """
        guard let output = NumpyReference.runPython(script, arguments: [tokenizerJSON.path, corpus.path, tiktokenPattern(pattern), String(repeats),
                                                         tiktokenIds.path, hfIds.path]) else { return nil }
        let figures = output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard figures.count == 4, let tiktoken = readIds(tiktokenIds), let hf = readIds(hfIds) else { return nil }
        return Encoding(tiktokenSeconds: figures[0], tiktokenBatchSeconds: figures[1], tiktokenDecodeSeconds: figures[2],
                        huggingFaceSeconds: figures[3], tiktokenIds: tiktoken, huggingFaceIds: hf)
    }

    private static func readIds(_ url: URL) -> [Int32]? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
    }

    private static func pythonList(_ strings: [String]) -> String {
        "[" + strings.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }
}
