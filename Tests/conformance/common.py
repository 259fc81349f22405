"""What the conformance cases share: the case registry and helpers for RPCs, messages and
GET routes. Cases (cases_*.py) are one per MUST of proto/PROTOCOL.md (and the rules around
it), each named after its section. A case gets the running learner (`env`) and raises
AssertionError (or WireError) on a violation. Cases for behaviour being fixed on the
`svc-learner` branch carry expected_fixed_by="svc-learner": they expect what the
specification says.
"""

import struct
import time

import wire
from client import Connection

CASES = []
FIXER = "svc-learner"


def case(name, expected_fixed_by=None):
    def register(f):
        CASES.append((name, f, expected_fixed_by))
        return f
    return register


def check(condition, message):
    if not condition:
        raise AssertionError(message)


# ---- helpers ----

def call(env, method, body, token="worker", split=None, end=True, framed=True, conn=None, timeout=10, **kw):
    """One RPC on a fresh connection (or `conn`); `body` is a payload (framed here) or raw bytes."""
    c = conn or Connection(env.port)
    try:
        data = wire.frame(body) if framed and body is not None else body
        sid = c.request("/tributary.v1/" + method, data, token=env.tokens.get(token, token), split=split, end=end, **kw)
        r = c.wait(sid, timeout)
        return r
    finally:
        if conn is None:
            c.close()


def expect_status(r, code, what=""):
    got = r.tributary_status()
    check(r.status == 200, "%s: HTTP %s, expected 200" % (what, r.status))
    check(got == code, "%s: tributary-status %s (%s), expected %d" % (what, got, r.tributary_message(), code))


def messages(r, reader):
    return [reader(p) for flags, p in wire.deframe(bytes(r.body)) if not flags & 0x02]


def register(env, token="worker"):
    r = call(env, "Register", wire.register_request(), token=token)
    expect_status(r, wire.OK, "Register")
    ws = messages(r, wire.read_welcome)
    check(len(ws) == 1, "Register answered %d messages" % len(ws))
    return ws[0]


def announcement(env, worker_id):
    """The current PolicyAnnouncement (the first message of a Watch)."""
    c = Connection(env.port)
    try:
        sid = c.request("/tributary.v1/Watch", wire.frame(wire.watch_request(worker_id)), token=env.tokens["worker"])
        r = c.responses[sid]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not r.done:
            c.pump(0.2)
            try:
                got = messages(r, wire.read_announcement)
            except wire.WireError:
                continue   # a message still arriving
            if got:
                c.reset(sid)
                return got[0]
        raise AssertionError("no announcement within 10 s (status %s)" % r.tributary_status())
    finally:
        c.close()


def lease(env, worker_id, version, max_prompts=1):
    r = call(env, "Lease", wire.lease_request(worker_id, max_prompts, version))
    expect_status(r, wire.OK, "Lease")
    return messages(r, wire.read_grant)[0]


def lease_unit(env, worker_id, version):
    for _ in range(20):
        g = lease(env, worker_id, version)
        if g["units"]:
            return g["units"][0]
        time.sleep((g["retryAfterMs"] or 100) / 1000)
    raise AssertionError("no work unit leased in 20 tries")


def group_for(unit, worker_id, welcome, **kw):
    """A structurally and semantically valid group for `unit` (one token per sample)."""
    tokens = [[1] for _ in range(unit["groupSize"])]
    return wire.trajectory_group(unit["leaseId"], unit["promptIndex"], unit["promptTokens"], unit["policyVersion"],
                                 worker_id, tokens, **kw)


def bogus_group(worker_id, lease_id=987654321, version=0, extra=b""):
    """Decodable, but for a lease never issued: acknowledged with a rejection (§8 unknown_lease)."""
    return wire.trajectory_group(lease_id, 0, [1, 2], version, worker_id, [[1], [2]], extra=extra)


def padded_group(worker_id, size, version=0):
    """A bogus group whose payload is exactly `size` bytes (an unknown field pads it, §5.4)."""
    base = bogus_group(worker_id, version=version)
    pad = size - len(base) - 7
    check(pad >= 0, "cannot pad to %d" % size)
    return bogus_group(worker_id, version=version, extra=wire.field(40000, wire.BYTES, b"\0" * pad))


def submit(env, frames, end=True, timeout=10):
    """A /Submit stream carrying `frames` (raw framed bytes) in one write."""
    return call(env, "Submit", frames, framed=False, end=end, timeout=timeout)


def acks(r):
    return messages(r, wire.read_ack)


def get(env, path, token=None, method="GET"):
    c = Connection(env.port)
    try:
        extra = [("authorization", "Bearer " + env.tokens[token])] if token else []
        sid = c.request(path, None, method=method, content_type=None, te=False, extra=extra)
        return c.wait(sid)
    finally:
        c.close()
