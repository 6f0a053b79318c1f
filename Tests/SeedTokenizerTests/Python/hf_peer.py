"""Hugging Face `tokenizers` as the reference for Seed's tokenizer tests.

  hf_peer.py encode TOKENIZER_JSON TEXT_FILE OUT_IDS [--add-special]   ids of the text (int32, native order)
  hf_peer.py train KIND VOCAB OUT_DIR REGEX CORPUS...                    KIND: gpt2 | split | llama3
  hf_peer.py legacy-merges TOKENIZER_JSON OUT_JSON                       the same tokenizer with "a b" merges

Exit status 3 when `tokenizers` is not installed, so that the tests can skip.
"""
import array
import json
import sys

try:
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors, trainers
except ImportError:
    sys.exit(3)

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def encode(path, text_file, out, add_special=False):
    tokenizer = Tokenizer.from_file(path)
    with open(text_file, encoding="utf-8", newline="") as f:
        text = f.read()
    ids = tokenizer.encode(text, add_special_tokens=add_special).ids
    with open(out, "wb") as f:
        array.array("i", ids).tofile(f)


def train(kind, vocab, out_dir, regex, corpus):
    # ignore_merges is what Llama 3 ships with: a piece that is a whole token skips the merges.
    tokenizer = Tokenizer(models.BPE(ignore_merges=(kind == "llama3")))
    if kind == "gpt2":
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(regex), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIALS + (["<|begin_of_text|>"] if kind == "llama3" else []),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train(corpus, trainer)
    if kind == "llama3":
        bos = tokenizer.token_to_id("<|begin_of_text|>")
        tokenizer.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                          special_tokens=[("<|begin_of_text|>", bos)]),
        ])
    tokenizer.save(out_dir + "/tokenizer.json")


def legacy_merges(path, out):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    spec["model"]["merges"] = [" ".join(pair) if isinstance(pair, list) else pair for pair in spec["model"]["merges"]]
    with open(out, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "encode":
        encode(sys.argv[2], sys.argv[3], sys.argv[4], "--add-special" in sys.argv[5:])
    elif command == "train":
        train(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6:])
    elif command == "legacy-merges":
        legacy_merges(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown command " + command)
