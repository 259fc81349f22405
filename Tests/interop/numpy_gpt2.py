#!/usr/bin/env python3
"""Independent NumPy implementation of the policy's forward pass (design/MODEL.md).

Usage: numpy_gpt2.py CHECKPOINT_DIR [--tol 1e-4]

Loads CHECKPOINT_DIR/config.json and model.safetensors (with the `safetensors`
package when installed, otherwise with a minimal reader written here), checks the
config keys and every tensor name/shape, then recomputes the log-probs of
CHECKPOINT_DIR/interop_inputs.safetensors (`tokens` I32 [N,S], `logprobs` F32 [N,S];
position t = log p(tokens[t] | tokens[<t]), position 0 = 0) in float64.
Prints the max absolute difference; exits 0 if it is within --tol, 1 otherwise.
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    try:
        from safetensors.numpy import load_file
        return load_file(path)
    except ImportError:
        pass
    dt = {"F32": np.float32, "I32": np.int32, "I64": np.int64, "F64": np.float64}
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + end], dtype=np.dtype(dt[e["dtype"]]).newbyteorder("<")).reshape(e["shape"])
    return out


def layernorm(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def gelu_new(u):
    return 0.5 * u * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (u + 0.044715 * u ** 3)))


def forward_logits(P, cfg, tokens):
    C, H, L = cfg["n_embd"], cfg["n_head"], cfg["n_layer"]
    eps = cfg["layer_norm_epsilon"]
    hs = C // H
    S = tokens.shape[0]
    g = lambda k: P[k].astype(np.float64)
    x = g("transformer.wte.weight")[tokens] + g("transformer.wpe.weight")[:S]
    mask = np.triu(np.ones((S, S), dtype=bool), 1)
    for l in range(L):
        p = f"transformer.h.{l}."
        a = layernorm(x, g(p + "ln_1.weight"), g(p + "ln_1.bias"), eps)
        qkv = a @ g(p + "attn.c_attn.weight") + g(p + "attn.c_attn.bias")
        q, k, v = np.split(qkv, 3, axis=-1)
        heads = []
        for h in range(H):
            sl = slice(h * hs, (h + 1) * hs)
            s = q[:, sl] @ k[:, sl].T / np.sqrt(hs)
            s[mask] = -np.inf
            s = s - s.max(-1, keepdims=True)
            w = np.exp(s)
            w /= w.sum(-1, keepdims=True)
            heads.append(w @ v[:, sl])
        x = x + np.concatenate(heads, -1) @ g(p + "attn.c_proj.weight") + g(p + "attn.c_proj.bias")
        m = layernorm(x, g(p + "ln_2.weight"), g(p + "ln_2.bias"), eps)
        x = x + gelu_new(m @ g(p + "mlp.c_fc.weight") + g(p + "mlp.c_fc.bias")) @ g(p + "mlp.c_proj.weight") \
            + g(p + "mlp.c_proj.bias")
    x = layernorm(x, g("transformer.ln_f.weight"), g("transformer.ln_f.bias"), eps)
    return x @ g("transformer.wte.weight").T


def check_config(cfg):
    want = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "activation_function": "gelu_new",
            "tie_word_embeddings": True}
    for k, v in want.items():
        if cfg.get(k) != v:
            sys.exit(f"config.json: {k} is {cfg.get(k)!r}, expected {v!r}")
    for k in ["vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "layer_norm_epsilon"]:
        if k not in cfg:
            sys.exit(f"config.json: missing {k}")


def expected_shapes(cfg):
    V, T, C = cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"]
    s = {"transformer.wte.weight": (V, C), "transformer.wpe.weight": (T, C),
         "transformer.ln_f.weight": (C,), "transformer.ln_f.bias": (C,)}
    for l in range(cfg["n_layer"]):
        p = f"transformer.h.{l}."
        s.update({p + "ln_1.weight": (C,), p + "ln_1.bias": (C,), p + "ln_2.weight": (C,), p + "ln_2.bias": (C,),
                  p + "attn.c_attn.weight": (C, 3 * C), p + "attn.c_attn.bias": (3 * C,),
                  p + "attn.c_proj.weight": (C, C), p + "attn.c_proj.bias": (C,),
                  p + "mlp.c_fc.weight": (C, 4 * C), p + "mlp.c_fc.bias": (4 * C,),
                  p + "mlp.c_proj.weight": (4 * C, C), p + "mlp.c_proj.bias": (C,)})
    return s


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    d = args[0]
    tol = float(args[args.index("--tol") + 1]) if "--tol" in args else 1e-4
    with open(f"{d}/config.json") as f:
        cfg = json.load(f)
    check_config(cfg)
    P = read_safetensors(f"{d}/model.safetensors")
    for name, shape in expected_shapes(cfg).items():
        if name not in P:
            sys.exit(f"model.safetensors: missing {name}")
        if tuple(P[name].shape) != shape or P[name].dtype != np.float32:
            sys.exit(f"model.safetensors: {name} is {P[name].dtype}{tuple(P[name].shape)}, expected float32{shape}")
    inp = read_safetensors(f"{d}/interop_inputs.safetensors")
    tokens, given = inp["tokens"].astype(np.int64), inp["logprobs"].astype(np.float64)
    worst = 0.0
    for n in range(tokens.shape[0]):
        logits = forward_logits(P, cfg, tokens[n])
        mx = logits.max(-1, keepdims=True)
        logp = logits - mx - np.log(np.exp(logits - mx).sum(-1, keepdims=True))
        mine = np.concatenate([[0.0], logp[np.arange(tokens.shape[1] - 1), tokens[n, 1:]]])
        worst = max(worst, float(np.abs(mine - given[n]).max()))
    print(f"max abs difference {worst:.3e} over {tokens.size} log-probs (tolerance {tol:g})")
    sys.exit(0 if worst <= tol else 1)


if __name__ == "__main__":
    main()
