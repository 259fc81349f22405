#!/usr/bin/env python3
"""Independent check of the golden vectors against proto/PROTOCOL.md.

Written from PROTOCOL.md alone (not from the Swift code): it encodes every example
message with the rules of sections 5 and 6 and compares the bytes with the .hex
files, then decodes each file generically and re-encodes it. Exit status 0 and
"N vectors match" on success. Usage: python3 proto/vectors/check_vectors.py
"""
import os
import struct
import sys

WIRE = {'u8': 1, 'bool': 1, 'u16': 2, 'u32': 3, 'f32': 3, 'u64': 4,
        'string': 5, 'bytes': 5, 'i32s': 6, 'u32s': 6, 'f32s': 6}

# kind, fields: (id, name, type); type "msg:X" nests X, "rep:X" repeats nested X ("rep:string": a repeated string).
SCHEMA = {
    'RegisterRequest': (1, [(1, 'workerName', 'string'), (2, 'softwareVersion', 'string'),
                            (3, 'protocolVersion', 'u16'), (4, 'samplerThreads', 'u32')]),
    'Welcome': (2, [(1, 'workerId', 'u64'), (2, 'protocolVersion', 'u16'), (3, 'taskSpec', 'string'),
                    (4, 'model', 'msg:ModelConfig'), (5, 'groupSize', 'u32'), (6, 'temperature', 'f32'),
                    (7, 'topK', 'u32'), (8, 'maxCompletionTokens', 'u32'), (9, 'maxMessageBytes', 'u32'),
                    (10, 'maxGroupsPerSubmit', 'u32'), (11, 'leaseDurationMs', 'u32'), (12, 'policyVersion', 'u64'),
                    (13, 'promptSeed', 'u64'), (14, 'modelConfigJSON', 'bytes'), (15, 'ghpoStages', 'u32')]),
    'ModelConfig': (None, [(1, 'vocabSize', 'u32'), (2, 'nPositions', 'u32'), (3, 'nEmbd', 'u32'),
                           (4, 'nLayer', 'u32'), (5, 'nHead', 'u32')]),
    'WatchRequest': (3, [(1, 'workerId', 'u64'), (2, 'lastKnownVersion', 'u64')]),
    'PolicyAnnouncement': (4, [(1, 'version', 'u64'), (2, 'digest', 'bytes'), (3, 'sizeBytes', 'u64'), (4, 'step', 'u64')]),
    'FetchPolicyRequest': (5, [(1, 'version', 'u64'), (2, 'offset', 'u64')]),
    'PolicyChunk': (6, [(1, 'version', 'u64'), (2, 'offset', 'u64'), (3, 'totalSize', 'u64'),
                        (4, 'data', 'bytes'), (5, 'digest', 'bytes')]),
    'LeaseRequest': (7, [(1, 'workerId', 'u64'), (2, 'maxPrompts', 'u32'), (3, 'currentVersion', 'u64')]),
    'LeaseGrant': (8, [(1, 'units', 'rep:WorkUnit'), (2, 'retryAfterMs', 'u32')]),
    'WorkUnit': (None, [(1, 'leaseId', 'u64'), (2, 'promptIndex', 'u64'), (3, 'promptTokens', 'i32s'),
                        (4, 'groupSize', 'u32'), (5, 'temperature', 'f32'), (6, 'topK', 'u32'),
                        (7, 'maxCompletionTokens', 'u32'), (8, 'policyVersion', 'u64'), (9, 'deadlineUnixMs', 'u64')]),
    'TrajectoryGroup': (9, [(1, 'leaseId', 'u64'), (2, 'promptIndex', 'u64'), (3, 'promptTokens', 'i32s'),
                            (4, 'policyVersion', 'u64'), (5, 'workerId', 'u64'), (6, 'completionLengths', 'u32s'),
                            (7, 'completionTokens', 'i32s'), (8, 'logProbs', 'f32s'), (9, 'rewards', 'f32s'),
                            (10, 'correct', 'bytes'), (11, 'finishReasons', 'bytes'),
                            (12, 'rewardComponents', 'rep:string'), (13, 'componentValues', 'f32s'),
                            (14, 'componentFailures', 'bytes'), (15, 'referenceTokens', 'i32s'),
                            (16, 'hintTokens', 'u32')]),
    'SubmitAck': (10, [(1, 'leaseId', 'u64'), (2, 'accepted', 'bool'), (3, 'reason', 'u16'), (4, 'message', 'string'),
                       (5, 'learnerVersion', 'u64'), (6, 'bufferedCount', 'u32')]),
    'Goodbye': (11, [(1, 'workerId', 'u64'), (2, 'reason', 'string')]),
    'StatusEnvelope': (12, [(1, 'code', 'u32'), (2, 'message', 'string')]),
}

# Schema version per message (section 5.1): 1 unless a later field set is listed here.
SCHEMA_VERSION = {'Welcome': 3, 'TrajectoryGroup': 3}

CONFIG_JSON = (b'{"activation_function":"gelu_new","layer_norm_epsilon":1e-05,"model_type":"gpt2","n_embd":64,'
               b'"n_head":4,"n_layer":2,"n_positions":128,"tie_word_embeddings":true,"vocab_size":14}')

DIGEST = bytes((i * 7 + 1) % 256 for i in range(32))
UNIT1 = dict(leaseId=0x0102030405060708, promptIndex=1000, promptTokens=[5, 17, 3], groupSize=2, temperature=0.5,
             topK=10, maxCompletionTokens=4, policyVersion=7, deadlineUnixMs=1767225600000)
UNIT2 = dict(UNIT1, leaseId=9, promptIndex=1001, promptTokens=[], temperature=1.0, topK=0)

# The example values (listed in each .hex file's header comment). None = field omitted.
EXAMPLES = {
    'register_request': ('RegisterRequest', dict(workerName='host-a/w1', softwareVersion='tributary 0.1.0',
                                                 protocolVersion=1, samplerThreads=2)),
    'welcome': ('Welcome', dict(workerId=42, protocolVersion=1, taskSpec='reverse:digits=4',
                                model=dict(vocabSize=14, nPositions=128, nEmbd=64, nLayer=2, nHead=4),
                                groupSize=8, temperature=1.0, topK=0, maxCompletionTokens=5, maxMessageBytes=1048576,
                                maxGroupsPerSubmit=64, leaseDurationMs=30000, policyVersion=7, promptSeed=7,
                                modelConfigJSON=CONFIG_JSON, ghpoStages=2)),
    'watch_request': ('WatchRequest', dict(workerId=42, lastKnownVersion=6)),
    'policy_announcement': ('PolicyAnnouncement', dict(version=7, digest=DIGEST, sizeBytes=1234567, step=70)),
    'fetch_policy_request': ('FetchPolicyRequest', dict(version=7, offset=None)),
    'policy_chunk': ('PolicyChunk', dict(version=7, offset=1234560, totalSize=1234567, data=b'{"a":1}', digest=DIGEST)),
    'lease_request': ('LeaseRequest', dict(workerId=42, maxPrompts=4, currentVersion=7)),
    'lease_grant': ('LeaseGrant', dict(units=[UNIT1, UNIT2], retryAfterMs=None)),
    'lease_grant_empty': ('LeaseGrant', dict(units=[], retryAfterMs=250)),
    'trajectory_group': ('TrajectoryGroup', dict(
        leaseId=0x0102030405060708, promptIndex=1000, promptTokens=[5, 17, 3], policyVersion=7, workerId=42,
        completionLengths=[3, 1], completionTokens=[9, 2, 0, 11], logProbs=[-0.5, -1.25, -0.125, -2.0],
        rewards=[1.0, 0.0], correct=bytes([1, 0]), finishReasons=bytes([1, 2]))),
    'trajectory_group_components': ('TrajectoryGroup', dict(
        leaseId=9, promptIndex=3, promptTokens=[1, 2], policyVersion=2, workerId=5,
        completionLengths=[1, 2], completionTokens=[4, 6, 7], logProbs=[-0.25, -1.0, -0.5],
        rewards=[1.0, 0.5], correct=bytes([1, 0]), finishReasons=bytes([1, 1]),
        rewardComponents=['numeric', 'format'], componentValues=[1.0, 1.0, 1.0, 0.0],
        componentFailures=bytes([0, 0, 0, 1]))),
    'trajectory_group_reference': ('TrajectoryGroup', dict(
        leaseId=10, promptIndex=4, promptTokens=[1, 2, 8], policyVersion=3, workerId=5,
        completionLengths=[2, 1], completionTokens=[9, 0, 7], logProbs=[-0.5, -0.25, -1.0],
        rewards=[1.0, 0.0], correct=bytes([1, 0]), finishReasons=bytes([1, 2]),
        referenceTokens=[8, 9, 0], hintTokens=1)),
    'submit_ack_accepted': ('SubmitAck', dict(leaseId=0x0102030405060708, accepted=True, reason=None, message=None,
                                              learnerVersion=8, bufferedCount=3)),
    'submit_ack_rejected': ('SubmitAck', dict(leaseId=9, accepted=False, reason=5, message='staleness 5 > cap 4',
                                              learnerVersion=12, bufferedCount=0)),
    'goodbye': ('Goodbye', dict(workerId=42, reason='shutdown')),
    'status_envelope': ('StatusEnvelope', dict(code=8, message='message of 2000000 bytes > limit 1048576')),
}


def encode_value(t, v):
    if t.startswith('msg:'):
        return encode_fields(t[4:], v)
    return {'u8': lambda: struct.pack('<B', v), 'bool': lambda: struct.pack('<B', 1 if v else 0),
            'u16': lambda: struct.pack('<H', v), 'u32': lambda: struct.pack('<I', v),
            'f32': lambda: struct.pack('<f', v), 'u64': lambda: struct.pack('<Q', v),
            'string': lambda: v.encode('utf-8'), 'bytes': lambda: bytes(v),
            'i32s': lambda: struct.pack('<%di' % len(v), *v), 'u32s': lambda: struct.pack('<%dI' % len(v), *v),
            'f32s': lambda: struct.pack('<%df' % len(v), *v)}[t]()


def field(fid, wire, value):
    return struct.pack('<HBI', fid, wire, len(value)) + value


def encode_fields(name, values):
    out = b''
    for fid, fname, t in SCHEMA[name][1]:          # ascending id order (canonical, section 5.3)
        v = values.get(fname)
        if v is None:
            continue
        if t == 'rep:string':
            for element in v:
                out += field(fid, WIRE['string'], element.encode('utf-8'))
        elif t.startswith('rep:'):
            for element in v:
                out += field(fid, 7, encode_fields(t[4:], element))
        else:
            out += field(fid, 7 if t.startswith('msg:') else WIRE[t], encode_value(t, v))
    return out


def encode(name, values):
    return struct.pack('<HH', SCHEMA[name][0], SCHEMA_VERSION.get(name, 1)) + encode_fields(name, values)


def walk(buf):
    """Generic field walk (section 5.2): list of (id, wire type, value bytes)."""
    fields, off = [], 0
    while off < len(buf):
        assert len(buf) - off >= 7, 'truncated field header'
        fid, wire, length = struct.unpack_from('<HBI', buf, off)
        assert fid != 0 and 1 <= wire <= 7, 'bad field header'
        assert length <= len(buf) - off - 7, 'field overruns message'
        fields.append((fid, wire, buf[off + 7: off + 7 + length]))
        off += 7 + length
    return fields


def decode_fields(name, buf):
    by_id = {fid: (fname, t) for fid, fname, t in SCHEMA[name][1]}
    out = {}
    for fid, wire, raw in walk(buf):
        if fid not in by_id:
            continue                                  # unknown ids are skipped (section 5.4)
        fname, t = by_id[fid]
        if t == 'rep:string':
            assert wire == WIRE['string'], '%s.%s: wire type %d' % (name, fname, wire)
            out.setdefault(fname, []).append(raw.decode('utf-8'))
        elif t.startswith('rep:'):
            out.setdefault(fname, []).append(decode_fields(t[4:], raw))
        elif t.startswith('msg:'):
            out[fname] = decode_fields(t[4:], raw)
        else:
            assert wire == WIRE[t], '%s.%s: wire type %d' % (name, fname, wire)
            fmt = {'u8': '<B', 'bool': '<B', 'u16': '<H', 'u32': '<I', 'f32': '<f', 'u64': '<Q'}.get(t)
            if fmt:
                out[fname] = struct.unpack(fmt, raw)[0]
                if t == 'bool':
                    out[fname] = bool(out[fname])
            elif t == 'string':
                out[fname] = raw.decode('utf-8')
            elif t == 'bytes':
                out[fname] = raw
            else:
                out[fname] = list(struct.unpack('<%d%s' % (len(raw) // 4, {'i32s': 'i', 'u32s': 'I', 'f32s': 'f'}[t]), raw))
    return out


M64 = (1 << 64) - 1


def splitmix64_mix(*words):
    """SplitMix64.mix as PROTOCOL.md section 6.2.1 defines it."""
    state, out = 0x05EED0F7B1B07A21, 0
    for w in words:
        state ^= w
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        out = z ^ (z >> 31)
    return out


# The test vectors of PROTOCOL.md section 6.2.1 (Swift checks the same values in TensorTests).
MIX_VECTORS = [((0,), 0x0C4704A6BEAC0FE2), ((1,), 0x6865AF73B30988D0), ((0, 0, 0), 0x99A9044306428617),
               ((42, 1, 1000), 0xDE9941DABC8063DA)]


def read_hex(path):
    digits = ''.join(line.split('#', 1)[0] for line in open(path, encoding='utf-8'))
    return bytes.fromhex(''.join(digits.split()))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    failures = 0
    for stem, (name, values) in EXAMPLES.items():
        golden = read_hex(os.path.join(here, stem + '.hex'))
        mine = encode(name, values)
        kind, schema = struct.unpack_from('<HH', golden, 0)
        decoded = decode_fields(name, golden[4:])
        if mine != golden:
            failures += 1
            print('MISMATCH %s\n  python: %s\n  golden: %s' % (stem, mine.hex(' '), golden.hex(' ')))
        elif kind != SCHEMA[name][0] or schema != SCHEMA_VERSION.get(name, 1) or encode(name, decoded) != golden:
            failures += 1
            print('DECODE MISMATCH %s: %r' % (stem, decoded))
    for words, want in MIX_VECTORS:
        if splitmix64_mix(*words) != want:
            failures += 1
            print('SplitMix64.mix%r = %#x, expected %#x' % (words, splitmix64_mix(*words), want))
    files = sorted(f[:-4] for f in os.listdir(here) if f.endswith('.hex'))
    if files != sorted(EXAMPLES):
        failures += 1
        print('vector files %s differ from examples %s' % (files, sorted(EXAMPLES)))
    if failures:
        print('%d vector(s) failed' % failures)
        return 1
    print('%d vectors match; %d SplitMix64.mix vectors match' % (len(EXAMPLES), len(MIX_VECTORS)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
