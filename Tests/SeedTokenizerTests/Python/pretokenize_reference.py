"""The peers' pre-tokenization, as piece boundaries, for PreTokenizerTests.

  pretokenize_reference.py REQUEST_JSON

REQUEST_JSON names the work:
  {"all_scalars": {"common": PATH, "skewed": PATH},   optional: write the all-scalars texts (below) first
   "jobs": [{"text": PATH, "peer": PEER, "regex": STRING, "out": PATH}, ...]}
PEER is one of
  hf-bytelevel   tokenizers' ByteLevel(add_prefix_space=False, use_regex=True); "regex" is ignored
  hf-split       tokenizers' Split(Regex(regex), behavior="isolated"), which runs Oniguruma
  regex          the `regex` module, which runs tiktoken's patterns, possessive forms and all, as Rust's does
Each job writes the byte offset where every piece ends (uint32, little-endian) to "out". The text files are
UTF-8, except for the "regex" peer, which reads each byte that is not as one scalar of its own. Prints a JSON
summary; exits with status 3 when `tokenizers` or `regex` is not installed.

The peers need seconds for what the scanner does in milliseconds, so results are kept in a cache in the temporary
folder, under a digest of everything they depend on: this script, the peers' versions, the job and the text.

The all-scalars texts put an apostrophe before every scalar U+0000...U+10FFFF (but surrogates), in order.
Under every pattern a run of scalars of one class then stays one piece or splits evenly, so a scalar classed
unlike its neighbours changes the pieces, while the peers get few pieces to build. Then every letter comes
again between an apostrophe and an "x", which tells a contraction from a word. "common" holds the scalars both
peers classify alike; "skewed" the rest, on which they disagree because they carry different Unicode versions
(Oniguruma's tables trail the `regex` module's).
"""
import array
import hashlib
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from itertools import accumulate

try:
    import regex
    import tokenizers
    from tokenizers import PreTokenizedString, Regex, pre_tokenizers
except ImportError:
    sys.exit(3)

CACHE = os.path.join(tempfile.gettempdir(), "seed-pretokenize-reference")

# Oniguruma, as tokenizers calls it, slows down more than linearly with the pieces of one call: feed it
# chunks of about this many characters.
HF_CHUNK_CHARS = 1 << 16


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    summary = {}
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        if "all_scalars" in request:
            paths = request["all_scalars"]
            summary["skewed_scalars"] = cached_all_scalars(pool, paths["common"], paths["skewed"])
        jobs = sorted(request["jobs"], key=lambda job: -os.path.getsize(job["text"]))
        list(pool.map(cached_job, jobs))
    print(json.dumps(summary))


def cache_path(*parts):
    digest = hashlib.sha256()
    with open(__file__, "rb") as f:
        script = f.read()
    for part in (script, tokenizers.__version__, regex.__version__, sys.version) + parts:
        part = part.encode() if isinstance(part, str) else part
        digest.update(len(part).to_bytes(8, "little") + part)
    return os.path.join(CACHE, digest.hexdigest())


def remember(path, cached):
    """Copies a finished result into the cache; the rename keeps concurrent runs from reading half a file."""
    os.makedirs(CACHE, exist_ok=True)
    partial = f"{cached}.{os.getpid()}"
    shutil.copyfile(path, partial)
    os.replace(partial, cached)


def cached_job(job):
    with open(job["text"], "rb") as f:
        data = f.read()
    cached = cache_path(job["peer"], job.get("regex", ""), data)
    if not os.path.exists(cached):
        run_job(job, data)
        remember(job["out"], cached)
    shutil.copyfile(cached, job["out"])


def cached_all_scalars(pool, common_path, skewed_path):
    count_path = skewed_path + ".count"
    paths = (common_path, skewed_path, count_path)
    cached = [cache_path("all scalars", name) for name in ("common", "skewed", "count")]
    if not all(map(os.path.exists, cached)):
        skewed_count = write_all_scalars(pool, common_path, skewed_path)
        with open(count_path, "w") as f:
            f.write(str(skewed_count))
        for path, cached_path in zip(paths, cached):
            remember(path, cached_path)
    for path, cached_path in zip(paths, cached):
        shutil.copyfile(cached_path, path)
    with open(count_path) as f:
        return int(f.read())


def run_job(job, data):
    if job["peer"] == "regex":
        # Each byte that is not UTF-8 becomes a lone surrogate: one scalar outside \p{L}, \p{N} and \s, which
        # is how the scanner reads it.
        ends = regex_piece_ends(data.decode("utf-8", "surrogateescape"), job["regex"])
    elif job["peer"] == "hf-split":
        split = pre_tokenizers.Split(Regex(job["regex"]), behavior="isolated")
        ends = hf_piece_ends(data.decode("utf-8"), split)
    elif job["peer"] == "hf-bytelevel":
        ends = hf_piece_ends(data.decode("utf-8"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True))
    else:
        raise ValueError("unknown peer " + job["peer"])
    with open(job["out"], "wb") as f:
        write_uint32_le(f, ends)


def write_uint32_le(file, values):
    values = array.array("I", values)
    if sys.byteorder == "big":
        values.byteswap()
    values.tofile(file)


def regex_piece_ends(text, pattern):
    pieces = regex.findall(pattern, text)
    # Every scalar matches some alternative of these patterns: the matches leave no gaps, so they add up.
    assert sum(map(len, pieces)) == len(text), "some characters are in no piece"
    return list(accumulate(len(piece.encode("utf-8", "surrogateescape")) for piece in pieces))


def hf_piece_ends(text, pre_tokenizer):
    ends, chunk_start = [], 0
    for chunk in safe_chunks(text):
        pieces = PreTokenizedString(chunk)
        pre_tokenizer.pre_tokenize(pieces)
        splits = pieces.get_splits(offset_referential="original", offset_type="byte")
        ends.extend(chunk_start + end for _, (_, end), _ in splits)
        chunk_start += len(chunk.encode("utf-8"))
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


def peer_classes(text):
    return scalar_classes(text, hf_spans), scalar_classes(text, regex_spans)


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


def write_all_scalars(pool, common_path, skewed_path):
    text = "".join(chr(value) for value in range(0x110000) if not 0xD800 <= value <= 0xDFFF)
    in_hf, in_regex = bytearray(), bytearray()
    for hf, by_regex in pool.map(peer_classes, (text[i:i + HF_CHUNK_CHARS] for i in range(0, len(text), HF_CHUNK_CHARS))):
        in_hf += hf
        in_regex += by_regex
    common = [c for c, a, b in zip(text, in_hf, in_regex) if a == b]
    skewed = [c for c, a, b in zip(text, in_hf, in_regex) if a != b]
    common_letters = [c for c, a, b in zip(text, in_hf, in_regex) if a == b == ord("L")]
    # Each line starts with a letter and ends in a letter and "\n", so safe_chunks may cut there.
    with open(common_path, "w", encoding="utf-8", newline="") as f:
        f.writelines(apostrophe_lines(common))
        f.writelines(contraction_lines(common_letters))
    with open(skewed_path, "w", encoding="utf-8", newline="") as f:
        f.writelines(apostrophe_lines(skewed))
    return len(skewed)


def apostrophe_lines(scalars):
    return ("b'" + "'".join(scalars[i:i + 256]) + "'a\n" for i in range(0, len(scalars), 256))


def contraction_lines(letters):
    # A letter that is a contraction after "'" stays apart from the "x" after it; any other joins it.
    return ("b" + "".join("'" + c + "x" for c in letters[i:i + 256]) + "\n" for i in range(0, len(letters), 256))


if __name__ == "__main__":
    main()
