# pp512 and tg128 of llama.cpp (llama-cpp-python) on a GGUF, 2 threads, the method of the training dossier §4.6. Called by scripts/llama-cpp-bench.sh.
import sys, time, statistics
import numpy as np
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=1024, n_batch=512, n_ubatch=512, n_threads=2, n_threads_batch=2, verbose=False)
rng = np.random.default_rng(0); vocab = llm.n_vocab()
prompt = [int(t) for t in rng.integers(0, vocab, 512)]
pp, tg = [], []
for rep in range(int(sys.argv[2]) if len(sys.argv) > 2 else 5):
    llm.reset(); t0 = time.perf_counter(); llm.eval(prompt); pp.append(512 / (time.perf_counter() - t0))
    llm.reset(); llm.eval(prompt[:8]); t0 = time.perf_counter()
    for i in range(128): llm.eval([prompt[8 + i]])
    tg.append(128 / (time.perf_counter() - t0))
print(f"llama.cpp pp512 {statistics.mean(pp):.0f} ± {statistics.stdev(pp):.0f} t/s (range {min(pp):.0f}–{max(pp):.0f}), "
      f"tg128 {statistics.mean(tg):.1f} ± {statistics.stdev(tg):.1f} t/s (range {min(tg):.1f}–{max(tg):.1f})")
