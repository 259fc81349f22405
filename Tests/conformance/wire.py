"""Tributary wire protocol v1 messages, written from proto/PROTOCOL.md alone (§4 framing,
§5 encoding, §6 messages, §7.2 percent-encoding). Nothing here is derived from Sources/Wire:
the conformance suite checks that the specification is enough to talk to a learner.

Encoding helpers build canonical payloads (and, for negative cases, deliberately broken
ones); `decode` reads a payload into {field id: [(wire type, value bytes)]} with every §5.4
rule, and the typed readers below check the §6 wire types and required fields.
"""

import struct

# §5.2 wire types
FIXED8, FIXED16, FIXED32, FIXED64, BYTES, ARRAY32, MESSAGE = 1, 2, 3, 4, 5, 6, 7

# §5.1 kinds
REGISTER_REQUEST, WELCOME, WATCH_REQUEST, POLICY_ANNOUNCEMENT, FETCH_POLICY_REQUEST, POLICY_CHUNK = 1, 2, 3, 4, 5, 6
LEASE_REQUEST, LEASE_GRANT, TRAJECTORY_GROUP, SUBMIT_ACK, GOODBYE, STATUS_ENVELOPE = 7, 8, 9, 10, 11, 12

# §7.1 codes
OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = 0, 1, 2, 3, 4, 5
PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, OUT_OF_RANGE = 7, 8, 9, 11
UNIMPLEMENTED, INTERNAL, UNAVAILABLE, UNAUTHENTICATED = 12, 13, 14, 16

# §9 limits
CONTROL_LIMIT = 65536
BULK_LIMIT = 1048576
CHUNK_DATA_LIMIT = 1044480


class WireError(Exception):
    """A payload or stream that breaks a rule of PROTOCOL.md (the message names the rule)."""


# ---- encoding (§5.2, §5.3) ----

def field(fid, wire_type, value):
    return struct.pack("<HBI", fid, wire_type, len(value)) + value


def u8(fid, v):
    return field(fid, FIXED8, struct.pack("<B", v))


def u16(fid, v):
    return field(fid, FIXED16, struct.pack("<H", v))


def u32(fid, v):
    return field(fid, FIXED32, struct.pack("<I", v))


def u64(fid, v):
    return field(fid, FIXED64, struct.pack("<Q", v))


def f32(fid, v):
    return field(fid, FIXED32, struct.pack("<f", v))


def string(fid, s):
    return field(fid, BYTES, s.encode("utf-8") if isinstance(s, str) else s)


def raw_bytes(fid, b):
    return field(fid, BYTES, bytes(b))


def i32s(fid, values):
    return field(fid, ARRAY32, struct.pack("<%di" % len(values), *values))


def u32s(fid, values):
    return field(fid, ARRAY32, struct.pack("<%dI" % len(values), *values))


def f32s(fid, values):
    return field(fid, ARRAY32, struct.pack("<%df" % len(values), *values))


def message(kind, *fields, schema=1):
    return struct.pack("<HH", kind, schema) + b"".join(fields)


def frame(payload, flags=0, length=None):
    """§4: flags byte, big-endian length, payload (`length` overrides the prefix for tests)."""
    return struct.pack(">BI", flags, len(payload) if length is None else length) + payload


def register_request(name="conformance", version="conformance 1", protocol=1, extra=b""):
    return message(REGISTER_REQUEST, string(1, name), string(2, version), u16(3, protocol), extra)


def watch_request(worker_id, last_known=None):
    return message(WATCH_REQUEST, u64(1, worker_id), *([u64(2, last_known)] if last_known is not None else []))


def fetch_policy_request(version, offset=0):
    return message(FETCH_POLICY_REQUEST, u64(1, version), *([u64(2, offset)] if offset else []))


def lease_request(worker_id, max_prompts, current_version):
    return message(LEASE_REQUEST, u64(1, worker_id), u32(2, max_prompts), u64(3, current_version))


def trajectory_group(lease_id, prompt_index, prompt_tokens, policy_version, worker_id, completions,
                     log_prob=-1.0, reward=0.0, correct=0, finish=1, extra=b""):
    """A group of len(completions) samples; each completion is a list of token ids."""
    tokens = [t for c in completions for t in c]
    g = len(completions)
    return message(TRAJECTORY_GROUP, u64(1, lease_id), u64(2, prompt_index), i32s(3, prompt_tokens),
                   u64(4, policy_version), u64(5, worker_id), u32s(6, [len(c) for c in completions]),
                   i32s(7, tokens), f32s(8, [log_prob] * len(tokens)), f32s(9, [reward] * g),
                   raw_bytes(10, [correct] * g), raw_bytes(11, [finish] * g), extra)


def goodbye(worker_id, reason=""):
    return message(GOODBYE, u64(1, worker_id), *([string(2, reason)] if reason else []))


def status_envelope(code, text=""):
    return message(STATUS_ENVELOPE, u32(1, code), *([string(2, text)] if text else []))


# ---- framing (§4) ----

def deframe(data):
    """Splits a response body into [(flags, payload)]; raises WireError on truncation or bad flags."""
    out, i = [], 0
    while i < len(data):
        if len(data) - i < 5:
            raise WireError("§4: stream ended inside a message prefix")
        flags, n = struct.unpack(">BI", data[i:i + 5])
        if flags & ~0x02:
            raise WireError("§4: reserved flag bits set: 0x%02x" % flags)
        if len(data) - i - 5 < n:
            raise WireError("§4: stream ended inside a payload")
        out.append((flags, data[i + 5:i + 5 + n]))
        i += 5 + n
    return out


# ---- decoding (§5.4) ----

def decode(payload, expected_kind):
    """Returns {field id: [(wire type, value)]}, applying rules 1 and 2 of §5.4."""
    if len(payload) < 4:
        raise WireError("§5.4.1: payload shorter than 4 bytes")
    kind, schema = struct.unpack("<HH", payload[:4])
    if kind != expected_kind:
        raise WireError("§5.4.1: kind %d, expected %d" % (kind, expected_kind))
    if schema == 0:
        raise WireError("§5.4.1: schema version 0")
    return decode_fields(payload[4:])


def decode_fields(body):
    fields, i = {}, 0
    while i < len(body):
        if len(body) - i < 7:
            raise WireError("§5.4.2: field header does not fit")
        fid, wt, n = struct.unpack("<HBI", body[i:i + 7])
        if n > len(body) - i - 7:
            raise WireError("§5.4.2: field %d length %d beyond the payload" % (fid, n))
        if fid == 0:
            raise WireError("§5.4.2: field id 0")
        if wt not in (FIXED8, FIXED16, FIXED32, FIXED64, BYTES, ARRAY32, MESSAGE):
            raise WireError("§5.4.2: wire type %d" % wt)
        fields.setdefault(fid, []).append((wt, body[i + 7:i + 7 + n]))
        i += 7 + n
    return fields


FIXED_SIZES = {FIXED8: 1, FIXED16: 2, FIXED32: 4, FIXED64: 8}
SCALARS = {"u8": (FIXED8, "<B"), "bool": (FIXED8, "<B"), "u16": (FIXED16, "<H"), "u32": (FIXED32, "<I"),
           "f32": (FIXED32, "<f"), "u64": (FIXED64, "<Q")}


def read(fields, schema):
    """Reads typed values (rule 3 of §5.4). schema: {id: (name, type, 'R'|'O'|'rep', default)};
    type is a scalar name, 'string', 'bytes', '[i32]', '[u32]', '[f32]' or a nested schema dict."""
    out = {}
    for fid, (name, typ, req, default) in schema.items():
        values = fields.get(fid, [])
        if not values:
            if req == "R":
                raise WireError("§5.4.3: missing required field %d (%s)" % (fid, name))
            out[name] = [] if req == "rep" else default
            continue
        if len(values) > 1 and req != "rep":
            raise WireError("§5.4.3: field %d (%s) twice" % (fid, name))
        decoded = [read_value(name, typ, wt, v) for wt, v in values]
        out[name] = decoded if req == "rep" else decoded[0]
    return out


def read_value(name, typ, wt, v):
    def need(expected):
        if wt != expected:
            raise WireError("§5.4.3: %s has wire type %d, expected %d" % (name, wt, expected))
    if isinstance(typ, dict):
        need(MESSAGE)
        return read(decode_fields(v), typ)
    if typ in SCALARS:
        t, fmt = SCALARS[typ]
        need(t)
        if len(v) != FIXED_SIZES[t]:
            raise WireError("§5.4.3: %s fixed length %d" % (name, len(v)))
        x = struct.unpack(fmt, v)[0]
        if typ == "bool" and x not in (0, 1):
            raise WireError("§5.2: bool %s = %d" % (name, x))
        return x
    if typ == "string":
        need(BYTES)
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise WireError("§5.2: %s is not valid UTF-8" % name)
    if typ == "bytes":
        need(BYTES)
        return bytes(v)
    if typ in ("[i32]", "[u32]", "[f32]"):
        need(ARRAY32)
        if len(v) % 4:
            raise WireError("§5.4.3: %s array32 length %d" % (name, len(v)))
        return list(struct.unpack("<%d%s" % (len(v) // 4, {"[i32]": "i", "[u32]": "I", "[f32]": "f"}[typ]), v))
    raise AssertionError(typ)


MODEL_CONFIG_SCHEMA = {1: ("vocabSize", "u32", "R", None), 2: ("nPositions", "u32", "R", None), 3: ("nEmbd", "u32", "R", None),
                4: ("nLayer", "u32", "R", None), 5: ("nHead", "u32", "R", None)}
WELCOME_SCHEMA = {1: ("workerId", "u64", "R", None), 2: ("protocolVersion", "u16", "R", None), 3: ("taskSpec", "string", "R", None),
           4: ("model", MODEL_CONFIG_SCHEMA, "R", None), 5: ("groupSize", "u32", "R", None), 6: ("temperature", "f32", "R", None),
           7: ("topK", "u32", "R", None), 8: ("maxCompletionTokens", "u32", "R", None),
           9: ("maxMessageBytes", "u32", "R", None), 10: ("maxGroupsPerSubmit", "u32", "R", None),
           11: ("leaseDurationMs", "u32", "R", None), 12: ("policyVersion", "u64", "R", None),
           13: ("promptSeed", "u64", "O", None), 15: ("ghpoStages", "u32", "O", 0)}
POLICY_ANNOUNCEMENT_SCHEMA = {1: ("version", "u64", "R", None), 2: ("digest", "bytes", "R", None),
                       3: ("sizeBytes", "u64", "R", None), 4: ("step", "u64", "R", None)}
POLICY_CHUNK_SCHEMA = {1: ("version", "u64", "R", None), 2: ("offset", "u64", "R", None), 3: ("totalSize", "u64", "R", None),
                       4: ("data", "bytes", "R", None), 5: ("digest", "bytes", "O", None)}
WORK_UNIT_SCHEMA = {1: ("leaseId", "u64", "R", None), 2: ("promptIndex", "u64", "R", None), 3: ("promptTokens", "[i32]", "R", None),
             4: ("groupSize", "u32", "R", None), 5: ("temperature", "f32", "R", None), 6: ("topK", "u32", "R", None),
             7: ("maxCompletionTokens", "u32", "R", None), 8: ("policyVersion", "u64", "R", None),
             9: ("deadlineUnixMs", "u64", "R", None)}
LEASE_GRANT_SCHEMA = {1: ("units", WORK_UNIT_SCHEMA, "rep", None), 2: ("retryAfterMs", "u32", "O", None)}
SUBMIT_ACK_SCHEMA = {1: ("leaseId", "u64", "R", None), 2: ("accepted", "bool", "R", None), 3: ("reason", "u16", "O", None),
              4: ("message", "string", "O", ""), 5: ("learnerVersion", "u64", "R", None), 6: ("bufferedCount", "u32", "R", None)}
STATUS_ENVELOPE_SCHEMA = {1: ("code", "u32", "R", None), 2: ("message", "string", "O", "")}


def read_welcome(p):
    w = read(decode(p, WELCOME), WELCOME_SCHEMA)
    return w


def read_announcement(p):
    a = read(decode(p, POLICY_ANNOUNCEMENT), POLICY_ANNOUNCEMENT_SCHEMA)
    if len(a["digest"]) != 32:
        raise WireError("§6.3: digest of %d bytes" % len(a["digest"]))
    return a


def read_chunk(p):
    """PolicyChunk with the decoder checks of §6.3."""
    c = read(decode(p, POLICY_CHUNK), POLICY_CHUNK_SCHEMA)
    end = c["offset"] + len(c["data"])
    if c["offset"] > c["totalSize"] or end > c["totalSize"]:
        raise WireError("§6.3: chunk [%d, %d) outside totalSize %d" % (c["offset"], end, c["totalSize"]))
    if len(c["data"]) > CHUNK_DATA_LIMIT:
        raise WireError("§6.3: chunk data of %d bytes" % len(c["data"]))
    last = end == c["totalSize"]
    if c["digest"] is not None and len(c["digest"]) != 32:
        raise WireError("§6.3: digest of %d bytes" % len(c["digest"]))
    if last != (c["digest"] is not None):
        raise WireError("§6.3: %s chunk %s a digest" % ("last" if last else "non-last", "without" if last else "with"))
    c["last"] = last
    return c


def read_grant(p):
    g = read(decode(p, LEASE_GRANT), LEASE_GRANT_SCHEMA)
    for u in g["units"]:
        if u["leaseId"] == 0:
            raise WireError("§6.4: leaseId 0")
    return g


def read_ack(p):
    a = read(decode(p, SUBMIT_ACK), SUBMIT_ACK_SCHEMA)
    if not a["accepted"] and a["reason"] is None:
        raise WireError("§6.5: a rejected ack without a reason")
    if a["accepted"] and a["reason"] is not None:
        raise WireError("§6.5: an accepted ack with a reason")
    return a


def percent_decode(text):
    """§7.2 decoding (never fails)."""
    raw, i, b = bytearray(), 0, text.encode("latin-1", errors="replace") if isinstance(text, str) else text
    hexdigits = b"0123456789abcdefABCDEF"
    while i < len(b):
        if b[i] == 0x25 and i + 2 < len(b) and b[i + 1] in hexdigits and b[i + 2] in hexdigits:
            raw.append(int(b[i + 1:i + 3], 16))
            i += 3
        else:
            raw.append(b[i])
            i += 1
    return raw.decode("utf-8", errors="replace")


def percent_encoded_ok(value):
    """True when a tributary-message value uses only what §7.2 allows an encoder to write."""
    i = 0
    while i < len(value):
        c = value[i]
        if c == "%":
            if i + 2 >= len(value) or any(ch not in "0123456789ABCDEF" for ch in value[i + 1:i + 3]) or len(value[i + 1:i + 3]) < 2:
                return False
            i += 3
            continue
        if not (0x20 <= ord(c) <= 0x7E):
            return False
        i += 1
    return True
