"""Greedy decoding with Hugging Face's Llama semantics, in numpy, from a model folder.

Reads config.json and model.safetensors the way transformers' LlamaForCausalLM does (tensor names,
[out, in] linear weights, rotate_half RoPE, RMSNorm with eps inside the root, SwiGLU, grouped-query
heads, tied or untied head) and prints the bytes of a greedy continuation. A test runs it next to
`seed generate --temperature 0` to check that a Seed model folder means the same thing to both.
"""
import json
import struct
import sys

import numpy as np


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info["dtype"]
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return tensors


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope(x, positions, theta):
    # x: [T, heads, D]; transformers' rotate_half pairs lane i with lane i + D/2.
    d = x.shape[-1]
    inv = 1.0 / theta ** (np.arange(0, d, 2) / d)
    angles = positions[:, None] * inv[None, :]
    cos = np.concatenate([np.cos(angles)] * 2, axis=-1)[:, None, :]
    sin = np.concatenate([np.sin(angles)] * 2, axis=-1)[:, None, :]
    rotated = np.concatenate([-x[..., d // 2:], x[..., : d // 2]], axis=-1)
    return x * cos + rotated * sin


def forward(w, c, tokens):
    t = len(tokens)
    heads, kv = c["num_attention_heads"], c["num_key_value_heads"]
    hd = c["hidden_size"] // heads
    eps, theta = c["rms_norm_eps"], c.get("rope_theta", 10000.0)
    x = w["model.embed_tokens.weight"][tokens]
    pos = np.arange(t, dtype=np.float64)
    mask = np.triu(np.full((t, t), -np.inf), k=1)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(t, heads, hd)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(t, kv, hd)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(t, kv, hd)
        q, k = rope(q, pos, theta), rope(k, pos, theta)
        k = np.repeat(k, heads // kv, axis=1)
        v = np.repeat(v, heads // kv, axis=1)
        scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd) + mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs = scores / scores.sum(axis=-1, keepdims=True)
        attn = np.einsum("hts,shd->thd", probs, v).reshape(t, heads * hd)
        x = x + attn @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else w["lm_head.weight"]
    return x @ head.T


def main():
    folder, prompt, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    config = json.load(open(folder + "/config.json"))
    assert config["architectures"] == ["LlamaForCausalLM"] and config["model_type"] == "llama"
    weights = load_safetensors(folder + "/model.safetensors")
    tokens = list(prompt.encode("utf-8"))
    for _ in range(count):
        tokens.append(int(np.argmax(forward(weights, config, tokens)[-1])))
    sys.stdout.buffer.write(bytes(tokens))


main()
