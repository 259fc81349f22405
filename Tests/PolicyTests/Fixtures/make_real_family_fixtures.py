"""Exactness fixtures for the policy's model families, made with Hugging Face transformers.

Run from this directory with the peer venv (deterministic: fixed seeds, float64 references):
    /work/main/.venv-peer/bin/python make_real_family_fixtures.py

Writes three Hugging Face directories (config.json + model.safetensors, F32) with random weights:
  llama-gqa/    LlamaForCausalLM, GQA (4 heads, 2 kv heads), untied head, RMSNorm weights ≠ 1
  qwen2-bias/   Qwen2ForCausalLM, q/k/v bias, tied head, rope_theta 1e6
  gpt2-untied/  GPT2LMHeadModel, vocabulary 300, untied lm_head; tensors are stored WITHOUT the
                `transformer.` prefix (as GPT2Model.save_pretrained writes them) to exercise that path
and in each a reference.safetensors:
  tokens        I32 [B, T]
  logprobs      F32 [B, T]   log p(tokens[t] | tokens[<t]); 0 at t = 0
  ce_loss       F32 [1]      mean cross-entropy over positions 1..T-1
  grad.ce.<p>   gradient of ce_loss for every parameter p (Hugging Face names, `transformer.` kept)
  wsum_weights  F32 [B, T]   random per-position weights (0 at t = 0)
  grad.wsum.<p> gradient of Σ wsum_weights · logprobs (what an RL objective back-propagates)
References are computed in float64 from the float32 weights.
"""
import os

import torch
from safetensors.torch import save_file, load_file
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
B, T, V = 3, 12, 300


def randomise(model, seed, std=0.08):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or ".ln_" in name or "ln_f" in name:
                if name.endswith("weight"):
                    p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))


def reference(model, seed):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, V, (B, T), generator=g)
    weights = torch.randn(B, T, generator=g)
    weights[:, 0] = 0
    m = model.double()
    m.eval()

    def logprobs():
        logits = m(input_ids=tokens).logits  # [B, T, V]
        lp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, tokens[:, 1:, None])[..., 0]
        return torch.cat([torch.zeros(B, 1, dtype=lp.dtype), lp], dim=1)

    out = {"tokens": tokens.to(torch.int32), "wsum_weights": weights.float()}
    m.zero_grad()
    lp = logprobs()
    ce = -lp[:, 1:].mean()
    ce.backward()
    out["logprobs"] = lp.detach().float()
    out["ce_loss"] = ce.detach().float().reshape(1)
    names = dict(m.named_parameters())
    for n, p in names.items():
        out["grad.ce." + n] = p.grad.detach().float().contiguous()
    m.zero_grad()
    (logprobs() * weights.double()).sum().backward()
    for n, p in names.items():
        out["grad.wsum." + n] = p.grad.detach().float().contiguous()
    return out


def save(model, name, seed, strip_prefix=False):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    model = model.float()
    model.config.torch_dtype = "float32"
    model.save_pretrained(d, safe_serialization=True)
    for extra in ["generation_config.json"]:
        if os.path.exists(os.path.join(d, extra)):
            os.remove(os.path.join(d, extra))
    if strip_prefix:
        path = os.path.join(d, "model.safetensors")
        t = load_file(path)
        save_file({k.removeprefix("transformer."): v.contiguous() for k, v in t.items()}, path, metadata={"format": "pt"})
    save_file(reference(model, seed + 1), os.path.join(d, "reference.safetensors"))


def main():
    torch.manual_seed(0)
    llama = LlamaForCausalLM(LlamaConfig(
        vocab_size=V, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64, rope_theta=10000.0, rms_norm_eps=1e-5,
        tie_word_embeddings=False, attn_implementation="eager"))
    randomise(llama, 1)
    save(llama, "llama-gqa", 10)

    qwen = Qwen2ForCausalLM(Qwen2Config(
        vocab_size=V, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64, rope_theta=1e6, rms_norm_eps=1e-6,
        tie_word_embeddings=True, attn_implementation="eager"))
    randomise(qwen, 2)
    save(qwen, "qwen2-bias", 20)

    gpt2 = GPT2LMHeadModel(GPT2Config(
        vocab_size=V, n_positions=32, n_embd=32, n_layer=2, n_head=4, activation_function="gelu_new",
        resid_pdrop=0, embd_pdrop=0, attn_pdrop=0, tie_word_embeddings=False, attn_implementation="eager"))
    randomise(gpt2, 3)
    save(gpt2, "gpt2-untied", 30, strip_prefix=True)


if __name__ == "__main__":
    main()
