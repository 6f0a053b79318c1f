"""The peers' pre-tokenization, as piece boundaries, for PreTokenizerTests.

  pretokenize_reference.py REQUEST_JSON

REQUEST_JSON names the work:
  {"all_scalars": {"common": PATH, "skewed": PATH},   optional: write the all-scalars texts (below) first
   "jobs": [{"text": PATH, "peer": PEER, "regex": STRING, "out": PATH}, ...]}
PEER is one of
  hf-bytelevel   tokenizers' ByteLevel(add_prefix_space=False, use_regex=True); "regex" is ignored
  hf-split       tokenizers' Split(Regex(regex), behavior="isolated"), which runs Oniguruma
  regex          the `regex` module's finditer, which runs tiktoken's patterns as its Rust regex does
Each job writes the byte offset where every piece ends (uint32, little-endian) to "out". The text files are
UTF-8, except for the "regex" peer, which reads each byte that is not as one scalar of its own. Prints a JSON
summary; exits with status 3 when `tokenizers` or `regex` is not installed.

The all-scalars texts put an apostrophe before every scalar U+0000...U+10FFFF (but surrogates), in order.
Under every pattern a run of scalars of one class then stays one piece or splits evenly, so a scalar classed
unlike its neighbours changes the pieces, while the peers get few pieces to build; and every scalar is tried
as a contraction. "common" holds the scalars both peers classify alike; "skewed" the rest, on which they
disagree because they carry different Unicode versions (Oniguruma's tables trail the `regex` module's).
"""
import array
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor

try:
    import regex
    from tokenizers import Regex, pre_tokenizers
except ImportError:
    sys.exit(3)

# Oniguruma, as tokenizers calls it, slows down more than linearly with the pieces of one call: feed it
# chunks of about this many characters.
HF_CHUNK_CHARS = 1 << 16


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    summary = {}
    if "all_scalars" in request:
        summary["skewed_scalars"] = write_all_scalars(request["all_scalars"]["common"], request["all_scalars"]["skewed"])
    jobs = sorted(request["jobs"], key=lambda job: -os.path.getsize(job["text"]))
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        summary["pieces"] = sum(pool.map(run_job, jobs))
    print(json.dumps(summary))


def run_job(job):
    with open(job["text"], "rb") as f:
        data = f.read()
    if job["peer"] == "regex":
        # Each byte that is not UTF-8 becomes a lone surrogate: one scalar outside \p{L}, \p{N} and \s, which
        # is how the scanner reads it.
        ends = regex_piece_ends(data.decode("utf-8", "surrogateescape"), job["regex"])
    elif job["peer"] == "hf-split":
        split = pre_tokenizers.Split(Regex(job["regex"]), behavior="isolated")
        ends = hf_piece_ends(data.decode("utf-8"), split, mapped_bytes=False)
    elif job["peer"] == "hf-bytelevel":
        byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        ends = hf_piece_ends(data.decode("utf-8"), byte_level, mapped_bytes=True)
    else:
        raise ValueError("unknown peer " + job["peer"])
    with open(job["out"], "wb") as f:
        write_uint32_le(f, ends)
    return len(ends)


def write_uint32_le(file, values):
    values = array.array("I", values)
    if sys.byteorder == "big":
        values.byteswap()
    values.tofile(file)


def regex_piece_ends(text, pattern):
    ends, byte_end, character_end = [], 0, 0
    for match in regex.finditer(pattern, text):
        # Every scalar matches some alternative of these patterns, so the matches leave no gaps.
        assert match.start() == character_end, f"no piece covers character {character_end}"
        character_end = match.end()
        byte_end += len(match.group().encode("utf-8", "surrogateescape"))
        ends.append(byte_end)
    assert character_end == len(text), f"no piece covers character {character_end}"
    return ends


def hf_piece_ends(text, pre_tokenizer, mapped_bytes):
    ends, byte_end = [], 0
    for chunk in safe_chunks(text):
        for piece, _ in pre_tokenizer.pre_tokenize_str(chunk):
            # ByteLevel hands back one mapped character per byte; Split hands back the original text.
            byte_end += len(piece) if mapped_bytes else len(piece.encode("utf-8"))
            ends.append(byte_end)
    return ends


def safe_chunks(text):
    """Cuts only after a lone "\\n" (no other whitespace before it) that an ASCII letter follows: no piece of
    any of the patterns crosses such a point, and the "\\n" ends its piece alike whether text follows or not."""
    start = 0
    while start < len(text):
        cut = text.find("\n", start + HF_CHUNK_CHARS)
        while cut != -1 and not (cut + 1 < len(text) and text[cut + 1].isascii() and text[cut + 1].isalpha()
                                 and not text[cut - 1].isspace()):
            cut = text.find("\n", cut + 1)
        end = len(text) if cut == -1 else cut + 1
        yield text[start:end]
        start = end


def scalar_classes(text, peer):
    """Each character's class under one peer: b"L", b"N", b"S" (whitespace) or b"O"."""
    classes = bytearray(b"O" * len(text))
    for name, pattern in ((b"S", r"\s+"), (b"N", r"\p{N}+"), (b"L", r"\p{L}+")):
        for start, end in peer(text, pattern):
            classes[start:end] = name * (end - start)
    return classes


def regex_spans(text, pattern):
    return (match.span() for match in regex.finditer(pattern, text))


def hf_spans(text, pattern):
    # The runs of the class are what behavior="removed" leaves out between the pieces it returns.
    position = 0
    for _, (start, end) in pre_tokenizers.Split(Regex(pattern), behavior="removed").pre_tokenize_str(text):
        if start > position:
            yield position, start
        position = end
    if position < len(text):
        yield position, len(text)


def write_all_scalars(common_path, skewed_path):
    text = "".join(chr(value) for value in range(0x110000) if not 0xD800 <= value <= 0xDFFF)
    in_hf = bytearray()
    for start in range(0, len(text), HF_CHUNK_CHARS):
        in_hf += scalar_classes(text[start:start + HF_CHUNK_CHARS], hf_spans)
    in_regex = scalar_classes(text, regex_spans)
    common = [c for c, a, b in zip(text, in_hf, in_regex) if a == b]
    skewed = [c for c, a, b in zip(text, in_hf, in_regex) if a != b]
    for path, scalars in ((common_path, common), (skewed_path, skewed)):
        # Each line ends in a letter and "\n" and the next starts with one, so safe_chunks may cut there.
        lines = ("b'" + "'".join(scalars[i:i + 256]) + "'a\n" for i in range(0, len(scalars), 256))
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.writelines(lines)
    return len(skewed)


if __name__ == "__main__":
    main()
