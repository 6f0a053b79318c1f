# Writes a Seed Llama model folder (config.json, model.safetensors, tokenizer.json) as an f32 GGUF for llama.cpp. Called by scripts/llama-cpp-bench.sh.
import json, struct, sys
import numpy as np
import gguf

folder, out = sys.argv[1], sys.argv[2]
cfg = json.load(open(f"{folder}/config.json"))
f = open(f"{folder}/model.safetensors", "rb")
n = struct.unpack("<Q", f.read(8))[0]
header = json.loads(f.read(n)); base = 8 + n
def tensor(name):
    h = header[name]; a, b = h["data_offsets"]; f.seek(base + a)
    return np.frombuffer(f.read(b - a), dtype=np.float32).reshape(h["shape"])
w = gguf.GGUFWriter(out, "llama")
w.add_context_length(cfg["max_position_embeddings"]); w.add_embedding_length(cfg["hidden_size"])
w.add_block_count(cfg["num_hidden_layers"]); w.add_feed_forward_length(cfg["intermediate_size"])
w.add_head_count(cfg["num_attention_heads"]); w.add_head_count_kv(cfg["num_key_value_heads"])
w.add_layer_norm_rms_eps(cfg["rms_norm_eps"]); w.add_rope_freq_base(cfg["rope_theta"]); w.add_file_type(0)
tok = json.load(open(f"{folder}/tokenizer.json"))
vocab = tok["model"]["vocab"]; tokens = [None] * cfg["vocab_size"]
for t, i in vocab.items():
    if i < len(tokens): tokens[i] = t
for a in tok.get("added_tokens", []):
    if a["id"] < len(tokens): tokens[a["id"]] = a["content"]
tokens = [t if t is not None else f"<unused{i}>" for i, t in enumerate(tokens)]
merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
if not merges:  # a bare byte vocabulary: llama.cpp's gpt2 vocabulary wants at least one merge
    free = tokens.index("<unused256>") if "<unused256>" in tokens else None
    tokens[free] = "Ġt"; merges = ["Ġ t"]
w.add_tokenizer_model("gpt2"); w.add_tokenizer_pre("gpt-2"); w.add_token_list(tokens)
w.add_token_types([1] * len(tokens)); w.add_token_merges(merges)
w.add_tensor("token_embd.weight", tensor("model.embed_tokens.weight"))
names = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
         "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate",
         "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
for l in range(cfg["num_hidden_layers"]):
    for hf, gg in names.items():
        w.add_tensor(f"blk.{l}.{gg}.weight", tensor(f"model.layers.{l}.{hf}.weight"))
w.add_tensor("output_norm.weight", tensor("model.norm.weight"))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
