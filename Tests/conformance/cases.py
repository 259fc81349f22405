"""Conformance cases: one per MUST of proto/PROTOCOL.md (and the rules around it), each named
after its section. A case gets the running learner (`env`) and raises AssertionError (or
WireError) on a violation. Cases for behaviour being fixed on the `svc-learner` branch carry
expected_fixed_by="svc-learner": they expect what the specification says.
"""

import hashlib
import socket
import ssl
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


# ---- §2 transport ----

@case("§2 TLS: a handshake that does not negotiate ALPN h2 MUST be refused")
def tls_alpn(env):
    for protocols in (["http/1.1"], None):
        ctx = ssl.create_default_context(cafile=env.ca)
        if protocols:
            ctx.set_alpn_protocols(protocols)
        refused = False
        try:
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", env.tls_port), timeout=5), server_hostname="127.0.0.1")
            try:
                s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\0\0\0\x04\0\0\0\0\0")
                refused = s.recv(100) == b""
            except (ssl.SSLError, OSError):
                refused = True
            s.close()
        except (ssl.SSLError, OSError):
            refused = True
        check(refused, "a TLS client offering ALPN %s was served" % protocols)
    ctx = ssl.create_default_context(cafile=env.ca)
    ctx.set_alpn_protocols(["h2"])
    c = Connection(env.tls_port, tls_context=ctx)
    try:
        check(c.sock.selected_alpn_protocol() == "h2", "ALPN %s" % c.sock.selected_alpn_protocol())
        r = call(env, "Register", wire.register_request(), conn=c)
        expect_status(r, wire.OK, "Register over TLS")
    finally:
        c.close()


@case("§2 headers: servers MUST NOT require te: trailers")
def no_te(env):
    r = call(env, "Register", wire.register_request(), te=False)
    expect_status(r, wire.OK, "Register without te")
    check(len(messages(r, wire.read_welcome)) == 1, "no Welcome")


@case("§2 non-RPC requests: 405 for a method other than POST, 415 for a wrong content type, 404 outside the prefix")
def non_rpc(env):
    c = Connection(env.port)
    try:
        for method, path, ctype, want in (("GET", "/tributary.v1/Register", "application/x-tributary-v1", 405),
                                          ("POST", "/tributary.v1/Register", "application/grpc", 415),
                                          ("POST", "/tributary.v1/Register", "application/x-tributary-v1; charset=x", 415),
                                          ("POST", "/nowhere", "application/x-tributary-v1", 404)):
            sid = c.request(path, b"", method=method, content_type=ctype, token=env.tokens["worker"])
            r = c.wait(sid)
            check(r.status == want, "%s %s (%s): HTTP %s, expected %d" % (method, path, ctype, r.status, want))
    finally:
        c.close()


@case("§2 RPC content type: the response carries :status 200 and content-type application/x-tributary-v1")
def response_headers(env):
    r = call(env, "Register", wire.register_request())
    check(r.headers.get("content-type") == "application/x-tributary-v1", "content-type %s" % r.headers.get("content-type"))


@case("§2 cancellation: a client that gives up MUST reset the stream; the server ends it and keeps serving")
def cancellation(env):
    w = register(env)
    c = Connection(env.port)
    try:
        sid = c.request("/tributary.v1/Watch", wire.frame(wire.watch_request(w["workerId"])), token=env.tokens["worker"])
        c.pump(0.3)
        c.reset(sid)
        r = call(env, "Register", wire.register_request(), conn=c)
        expect_status(r, wire.OK, "Register after a reset on the same connection")
        check(not c.closed, "the connection was closed after RST_STREAM(CANCEL)")
    finally:
        c.close()


@case("§2 HTTP/2 limits: the learner advertises 100 concurrent streams, an 8 KiB header list and a 1 MiB stream window")
def advertised_limits(env):
    c = Connection(env.port)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and c.h2.remote_settings.max_concurrent_streams > 10**9:
            c.pump(0.1)   # until the server's SETTINGS arrived
        rs = c.h2.remote_settings
        got = (rs.max_concurrent_streams, rs.max_header_list_size, rs.initial_window_size)
        check(got == (100, 8192, 1 << 20), "SETTINGS (streams, header list, window) = %s" % (got,))
    finally:
        c.close()


# ---- §3 RPCs ----

@case("§3 unary: zero request messages fail with INVALID_ARGUMENT")
def unary_zero(env):
    expect_status(call(env, "Register", b"", framed=False), wire.INVALID_ARGUMENT, "Register with no message")


@case("§3 unary: two request messages fail with INVALID_ARGUMENT")
def unary_two(env):
    body = wire.frame(wire.register_request()) * 2
    expect_status(call(env, "Register", body, framed=False), wire.INVALID_ARGUMENT, "Register with two messages")


@case("§3 Register: a protocolVersion the learner cannot speak fails with FAILED_PRECONDITION")
def register_version(env):
    expect_status(call(env, "Register", wire.register_request(protocol=99)), wire.FAILED_PRECONDITION, "protocolVersion 99")


@case("§3 Register: an unknown worker id on /Lease fails with NOT_FOUND (the worker MUST register again)", FIXER)
def unknown_worker_lease(env):
    expect_status(call(env, "Lease", wire.lease_request(0xDEAD_BEEF_0001, 1, 0)), wire.NOT_FOUND, "Lease, unknown id")


@case("§3 Register: an unknown worker id on /Watch fails with NOT_FOUND", FIXER)
def unknown_worker_watch(env):
    expect_status(call(env, "Watch", wire.watch_request(0xDEAD_BEEF_0002), timeout=3), wire.NOT_FOUND, "Watch, unknown id")


@case("§3 Register: an unknown worker id in a /Submit group fails with NOT_FOUND", FIXER)
def unknown_worker_submit(env):
    r = submit(env, wire.frame(bogus_group(0xDEAD_BEEF_0003)))
    expect_status(r, wire.NOT_FOUND, "Submit, unknown id")


@case("§3 Goodbye: status OK with no response message; afterwards the id is unknown (NOT_FOUND)", FIXER)
def goodbye(env):
    w = register(env)
    r = call(env, "Goodbye", wire.goodbye(w["workerId"], "conformance done"))
    expect_status(r, wire.OK, "Goodbye")
    check(not r.body, "Goodbye answered %d body bytes" % len(r.body))
    expect_status(call(env, "Lease", wire.lease_request(w["workerId"], 1, 0)), wire.NOT_FOUND, "Lease after Goodbye")


@case("§3 Watch: the current announcement at once; a client MUST be able to treat repeats as no-ops")
def watch(env):
    w = register(env)
    a = announcement(env, w["workerId"])
    check(a["version"] == w["policyVersion"], "announced version %d, Welcome said %d" % (a["version"], w["policyVersion"]))
    # With lastKnownVersion = the current one, nothing is sent at once (heartbeats are ≥ 30 s apart).
    c = Connection(env.port)
    try:
        sid = c.request("/tributary.v1/Watch", wire.frame(wire.watch_request(w["workerId"], a["version"])), token=env.tokens["worker"])
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            c.pump(0.2)
        r = c.responses[sid]
        check(not r.body, "an announcement for the version the worker holds was sent at once")
        check(not r.done, "the watch stream ended (status %s)" % r.tributary_status())
    finally:
        c.close()


@case("§3 FetchPolicy + §6.3 + §6.3.1: chunks contiguous, exactly the last carries the digest, SHA-256 MUST match")
def fetch_policy(env):
    w = register(env)
    a = announcement(env, w["workerId"])
    r = call(env, "FetchPolicy", wire.fetch_policy_request(a["version"]), timeout=30)
    expect_status(r, wire.OK, "FetchPolicy")
    chunks = messages(r, wire.read_chunk)
    check(chunks, "no chunk")
    blob, offset = bytearray(), 0
    for i, ch in enumerate(chunks):
        check(ch["offset"] == offset, "chunk %d at offset %d, expected %d" % (i, ch["offset"], offset))
        check(ch["version"] == a["version"] and ch["totalSize"] == a["sizeBytes"], "chunk %d version/size" % i)
        check(not ch["last"] or i == len(chunks) - 1, "data after the last chunk")
        blob += ch["data"]
        offset += len(ch["data"])
    check(chunks[-1]["last"], "the stream has no last chunk")
    digest = hashlib.sha256(blob).digest()
    check(digest == chunks[-1]["digest"] == a["digest"], "SHA-256 differs from the chunk's or the announcement's digest")
    check(blob[:8] and struct.unpack("<Q", blob[:8])[0] < len(blob), "not a safetensors file (header length)")
    # Resume at the end: one empty last chunk with the digest.
    r = call(env, "FetchPolicy", wire.fetch_policy_request(a["version"], a["sizeBytes"]))
    expect_status(r, wire.OK, "FetchPolicy at offset = size")
    tail = messages(r, wire.read_chunk)
    check(len(tail) == 1 and tail[0]["last"] and not tail[0]["data"], "offset = size: %d chunks" % len(tail))


@case("§3 FetchPolicy: offset beyond the blob is OUT_OF_RANGE; a version never published is NOT_FOUND")
def fetch_policy_errors(env):
    w = register(env)
    a = announcement(env, w["workerId"])
    expect_status(call(env, "FetchPolicy", wire.fetch_policy_request(a["version"], a["sizeBytes"] + 1)), wire.OUT_OF_RANGE, "offset > size")
    expect_status(call(env, "FetchPolicy", wire.fetch_policy_request(a["version"] + 1000)), wire.NOT_FOUND, "future version")


@case("§3 Lease: answered within the long-poll bound (clients MUST allow about 1 s); §6.4 grant well-formed")
def lease_timing(env):
    w = register(env)
    t0 = time.monotonic()
    g = lease(env, w["workerId"], w["policyVersion"], max_prompts=1)
    elapsed = time.monotonic() - t0
    check(elapsed < 3, "Lease took %.1f s" % elapsed)
    check(len(g["units"]) <= 1, "%d units for maxPrompts 1" % len(g["units"]))
    check(g["units"] or g["retryAfterMs"] is not None, "an empty grant without retryAfterMs")
    for u in g["units"]:
        check(u["deadlineUnixMs"] > time.time() * 1000, "a lease already past its deadline")
        check(u["groupSize"] >= 1, "groupSize 0")


@case("§6.4 LeaseRequest: maxPrompts MUST be ≥ 1 (0 fails with INVALID_ARGUMENT)", FIXER)
def lease_zero(env):
    w = register(env)
    expect_status(call(env, "Lease", wire.lease_request(w["workerId"], 0, w["policyVersion"])), wire.INVALID_ARGUMENT, "maxPrompts 0")


@case("§3 Submit: a valid group for a lease is accepted; one ack per group, in order, then OK")
def submit_accepted(env):
    w = register(env)
    unit = lease_unit(env, w["workerId"], w["policyVersion"])
    good = group_for(unit, w["workerId"], w)
    r = submit(env, wire.frame(good) + wire.frame(bogus_group(w["workerId"], version=w["policyVersion"])) + wire.frame(good))
    expect_status(r, wire.OK, "Submit")
    a = acks(r)
    check([x["leaseId"] for x in a] == [unit["leaseId"], 987654321, unit["leaseId"]], "acks %s" % a)
    check(a[0]["accepted"] == 1, "the group was rejected: reason %s %r" % (a[0]["reason"], a[0]["message"]))
    check(a[1]["accepted"] == 0 and a[1]["reason"] == 1, "unknown lease: %s" % a[1])
    check(a[2]["accepted"] == 0 and a[2]["reason"] == 2, "resubmitted group: %s (expected duplicate_lease)" % a[2])


@case("§8 rejections: a decodable group the learner will not use is acknowledged with a reason; the stream continues")
def submit_rejections(env):
    w = register(env)
    r = submit(env, wire.frame(bogus_group(w["workerId"], lease_id=11)) + wire.frame(bogus_group(w["workerId"], lease_id=12)))
    expect_status(r, wire.OK, "Submit")
    a = acks(r)
    check([x["leaseId"] for x in a] == [11, 12], "acks %s" % a)
    check(all(x["accepted"] == 0 and 1 <= x["reason"] <= 13 for x in a), "acks %s" % a)


@case("§3 Submit: an undecodable group ends the stream with INVALID_ARGUMENT after the earlier groups are acknowledged")
def submit_undecodable(env):
    w = register(env)
    broken = wire.message(wire.TRAJECTORY_GROUP, wire.u64(1, 5))   # required fields missing
    r = submit(env, wire.frame(bogus_group(w["workerId"], lease_id=21)) + wire.frame(broken))
    expect_status(r, wire.INVALID_ARGUMENT, "Submit with an undecodable second group")
    check([x["leaseId"] for x in acks(r)] == [21], "acks %s" % acks(r))


@case("§3 Submit framing-error rule: a good group then a truncated one: the good one is acknowledged, then INVALID_ARGUMENT", FIXER)
def submit_truncated(env):
    w = register(env)
    truncated = wire.frame(bogus_group(w["workerId"], lease_id=32))[:-10]
    r = submit(env, wire.frame(bogus_group(w["workerId"], lease_id=31)) + truncated)
    expect_status(r, wire.INVALID_ARGUMENT, "Submit ending inside a payload")
    check([x["leaseId"] for x in acks(r)] == [31], "acks %s" % acks(r))


@case("§3 Submit framing-error rule: a good group and an oversize prefix in one write: the good one is acknowledged, then RESOURCE_EXHAUSTED", FIXER)
def submit_oversize_after_good(env):
    w = register(env)
    r = submit(env, wire.frame(bogus_group(w["workerId"], lease_id=41)) + struct.pack(">BI", 0, wire.BULK_LIMIT + 1), end=False, timeout=5)
    expect_status(r, wire.RESOURCE_EXHAUSTED, "Submit with an oversize prefix")
    check([x["leaseId"] for x in acks(r)] == [41], "acks %s" % acks(r))


@case("§9 Welcome.maxMessageBytes: a /Submit message above it fails with RESOURCE_EXHAUSTED; one equal to it is read", FIXER)
def submit_max_message(env):
    w = register(env)
    limit = w["maxMessageBytes"]
    check(limit <= wire.BULK_LIMIT, "maxMessageBytes %d above 1 MiB" % limit)
    r = submit(env, wire.frame(padded_group(w["workerId"], limit)))
    expect_status(r, wire.OK, "a group of exactly maxMessageBytes")
    check(len(acks(r)) == 1, "acks %s" % acks(r))
    r = submit(env, wire.frame(padded_group(w["workerId"], limit + 1)))
    expect_status(r, wire.RESOURCE_EXHAUSTED, "a group of maxMessageBytes + 1 (%d)" % (limit + 1))


# ---- §4 framing ----

@case("§4 framing: receivers MUST reassemble a message split over many DATA frames")
def reassemble(env):
    r = call(env, "Register", wire.register_request(), split=3)
    expect_status(r, wire.OK, "Register in 3-byte DATA frames")


@case("§4 framing: receivers MUST reassemble several messages carried by one DATA frame")
def several_in_one_frame(env):
    w = register(env)
    body = b"".join(wire.frame(bogus_group(w["workerId"], lease_id=50 + i)) for i in range(3))
    r = call(env, "Submit", body, framed=False)
    expect_status(r, wire.OK, "three groups in one frame")
    check([x["leaseId"] for x in acks(r)] == [50, 51, 52], "acks %s" % acks(r))


@case("§4 limit: a length over the method's limit MUST be rejected (RESOURCE_EXHAUSTED) as soon as the prefix is complete")
def oversize_prefix(env):
    c = Connection(env.port)
    try:
        sid = c.request("/tributary.v1/Register", struct.pack(">BI", 0, wire.CONTROL_LIMIT + 1), token=env.tokens["worker"], end=False)
        r = c.wait(sid, 5)
        expect_status(r, wire.RESOURCE_EXHAUSTED, "a 65537-byte prefix with no payload")
    finally:
        c.close()


@case("§4 limit: a length equal to the limit is allowed")
def limit_equal(env):
    base = wire.register_request()
    payload = wire.register_request(extra=wire.field(40001, wire.BYTES, b"x" * (wire.CONTROL_LIMIT - len(base) - 7)))
    check(len(payload) == wire.CONTROL_LIMIT, "built %d bytes" % len(payload))
    expect_status(call(env, "Register", payload), wire.OK, "a 65536-byte RegisterRequest")


@case("§4 flags: the compressed bit (0x01) MUST be 0 (INVALID_ARGUMENT)")
def flag_compressed(env):
    expect_status(call(env, "Register", wire.frame(wire.register_request(), flags=0x01), framed=False), wire.INVALID_ARGUMENT, "flags 0x01")


@case("§4 flags: bits 2-7 MUST be 0 (INVALID_ARGUMENT)")
def flag_reserved(env):
    expect_status(call(env, "Register", wire.frame(wire.register_request(), flags=0x04), framed=False), wire.INVALID_ARGUMENT, "flags 0x04")


@case("§4 truncation: a request ending inside a payload is INVALID_ARGUMENT")
def truncation(env):
    body = wire.frame(wire.register_request())[:-3]
    expect_status(call(env, "Register", body, framed=False), wire.INVALID_ARGUMENT, "truncated payload")
    expect_status(call(env, "Register", b"\0\0\0", framed=False), wire.INVALID_ARGUMENT, "truncated prefix")


@case("§4 status envelope: it MUST be the last message of its stream (a request carrying one fails)")
def envelope_on_request(env):
    w = register(env)
    body = wire.frame(wire.status_envelope(0), flags=0x02) + wire.frame(bogus_group(w["workerId"]))
    expect_status(call(env, "Submit", body, framed=False), wire.INVALID_ARGUMENT, "an envelope then a group")


# ---- §5 encoding ----

@case("§5.1 kind: a kind other than the RPC's MUST be rejected (INVALID_ARGUMENT)")
def wrong_kind(env):
    expect_status(call(env, "Register", wire.lease_request(1, 1, 0)), wire.INVALID_ARGUMENT, "LeaseRequest on /Register")


@case("§5.2 strings MUST be valid UTF-8")
def bad_utf8(env):
    expect_status(call(env, "Register", wire.register_request(name=b"bad \xff\xfe")), wire.INVALID_ARGUMENT, "invalid UTF-8 name")


@case("§5.4 rule 1: a payload shorter than 4 bytes, schema version 0")
def rule1(env):
    expect_status(call(env, "Register", b"\x01\x00"), wire.INVALID_ARGUMENT, "2-byte payload")
    p = wire.register_request()
    expect_status(call(env, "Register", p[:2] + b"\0\0" + p[4:]), wire.INVALID_ARGUMENT, "schema version 0")


@case("§5.4 rule 2: a field header that does not fit, a length beyond the payload, field id 0, an unknown wire type even for an unknown id")
def rule2(env):
    p = wire.register_request()
    for what, body in (("6 trailing bytes", p + b"\x09\x00\x05\x00\x00\x00"),
                       ("length beyond the payload", p + struct.pack("<HBI", 9, wire.BYTES, 100) + b"abc"),
                       ("field id 0", p + wire.u32(0, 1)),
                       ("wire type 8 on an unknown id", p + struct.pack("<HBI", 300, 8, 1) + b"\0"),
                       ("wire type 0 on a known id", p + struct.pack("<HBI", 4, 0, 4) + b"\0\0\0\0")):
        expect_status(call(env, "Register", body), wire.INVALID_ARGUMENT, what)


@case("§5.4 rule 3: a wrong wire type, a bad fixed length, a repeated non-repeated field, a missing required field")
def rule3(env):
    name, version = wire.string(1, "x"), wire.string(2, "y")
    for what, fields in (("protocolVersion as fixed32", [name, version, wire.u32(3, 1)]),
                         ("protocolVersion of 3 bytes", [name, version, wire.field(3, wire.FIXED16, b"\1\0\0")]),
                         ("workerName twice", [name, name, version, wire.u16(3, 1)]),
                         ("softwareVersion missing", [name, wire.u16(3, 1)])):
        expect_status(call(env, "Register", wire.message(wire.REGISTER_REQUEST, *fields)), wire.INVALID_ARGUMENT, what)


@case("§5.4 unknown fields are skipped by their length, whatever their wire type says; fields MAY arrive in any order")
def unknown_fields(env):
    odd = struct.pack("<HBI", 700, wire.FIXED32, 3) + b"abc"     # length not checked against the wire type
    fields = [wire.u16(3, 1), odd, wire.string(2, "y"), wire.field(32768, wire.MESSAGE, b"\xff" * 5), wire.string(1, "x")]
    expect_status(call(env, "Register", wire.message(wire.REGISTER_REQUEST, *fields, schema=7)), wire.OK, "unknown fields")


@case("§5.4 receivers MUST NOT allocate according to a length before checking it (a 4 GiB field length)")
def huge_length(env):
    p = wire.register_request() + struct.pack("<HBI", 9, wire.BYTES, 0xFFFF_FFF0)
    expect_status(call(env, "Register", p), wire.INVALID_ARGUMENT, "field length 0xFFFFFFF0")
    register(env)   # still serving


@case("§6.2 Welcome: every required field present with the §6 wire types, canonical ascending order")
def welcome_fields(env):
    r = call(env, "Register", wire.register_request())
    payload = wire.deframe(bytes(r.body))[0][1]
    w = wire.read_welcome(payload)
    ids, i = [], 4
    while i < len(payload):
        fid, _, n = struct.unpack("<HBI", payload[i:i + 7])
        ids.append(fid)
        i += 7 + n
    check(ids == sorted(ids), "field order %s" % ids)
    check(w["protocolVersion"] == 1 and w["workerId"] != 0, "Welcome %s" % w)
    check(w["maxMessageBytes"] <= wire.BULK_LIMIT, "maxMessageBytes %d" % w["maxMessageBytes"])


# ---- §7 status ----

@case("§7 status: every RPC ends with tributary-status; §7.2 tributary-message is percent-encoded")
def status_trailers(env):
    r = call(env, "Register", wire.register_request(name=b"\xff"))
    msg = r.tributary_message()
    check(r.tributary_status() is not None, "no tributary-status")
    check(msg is None or wire.percent_encoded_ok(msg), "tributary-message %r is not §7.2 percent-encoding" % msg)
    ok = call(env, "Register", wire.register_request())
    check(ok.trailers is not None and ok.trailers.get("tributary-status") == "0", "OK trailers %s" % ok.trailers)


# ---- §13 authentication ----

@case("§13 auth: a missing token is UNAUTHENTICATED, trailers-only, before any request message is read")
def auth_missing(env):
    c = Connection(env.port)
    try:
        sid = c.request("/tributary.v1/Register", None, token=None, end=False)   # headers only, stream left open
        r = c.wait(sid, 5)
        expect_status(r, wire.UNAUTHENTICATED, "no authorization")
        check(r.trailers is None and r.ended and not r.body, "not a trailers-only response")
    finally:
        c.close()


@case("§13 auth: an unknown or malformed token is UNAUTHENTICATED")
def auth_unknown(env):
    expect_status(call(env, "Register", wire.register_request(), token="nope"), wire.UNAUTHENTICATED, "unknown token")
    c = Connection(env.port)
    try:
        sid = c.request("/tributary.v1/Register", wire.frame(wire.register_request()), token=None,
                        extra=[("authorization", "Basic " + env.tokens["worker"])])
        expect_status(c.wait(sid), wire.UNAUTHENTICATED, "Basic scheme")
    finally:
        c.close()


@case("§13 auth: an admin token is accepted everywhere a worker token is")
def auth_admin(env):
    register(env, token="admin")


@case("§13 auth: an unknown method under /tributary.v1/ without a token learns nothing (UNAUTHENTICATED, not UNIMPLEMENTED)", FIXER)
def auth_unknown_method(env):
    r = call(env, "NoSuchMethod", wire.register_request(), token=None)
    expect_status(r, wire.UNAUTHENTICATED, "unknown method without a token")
    r = call(env, "NoSuchMethod", wire.register_request())
    expect_status(r, wire.UNIMPLEMENTED, "unknown method with a worker token")


# ---- §14 plain HTTP routes ----

def get(env, path, token=None, method="GET"):
    c = Connection(env.port)
    try:
        extra = [("authorization", "Bearer " + env.tokens[token])] if token else []
        sid = c.request(path, None, method=method, content_type=None, te=False, extra=extra)
        return c.wait(sid)
    finally:
        c.close()


@case("§14 /healthz answers 200 ok without a token")
def healthz(env):
    r = get(env, "/healthz")
    check(r.status == 200 and bytes(r.body) == b"ok\n", "/healthz: %s %r" % (r.status, bytes(r.body)))


@case("§14 /readyz answers 200 with body ok (as §14 words it) without a token", FIXER)
def readyz(env):
    r = get(env, "/readyz")
    check(r.status == 200 and bytes(r.body) == b"ok\n", "/readyz: %s %r" % (r.status, bytes(r.body)))


@case("§14 /status and /metrics with admin tokens configured: 401 + www-authenticate Bearer without a token, 403 with a worker token", FIXER)
def status_auth(env):
    for path in ("/status", "/metrics"):
        r = get(env, path)
        check(r.status == 401 and r.headers.get("www-authenticate", "").startswith("Bearer"),
              "%s without a token: HTTP %s %s" % (path, r.status, r.headers.get("www-authenticate")))
        r = get(env, path, token="worker")
        check(r.status == 403, "%s with a worker token: HTTP %s" % (path, r.status))


@case("§14 /status is a JSON object and /metrics Prometheus text with tributary_ names (admin token)")
def status_admin(env):
    import json
    r = get(env, "/status", token="admin")
    check(r.status == 200 and isinstance(json.loads(bytes(r.body)), dict), "/status: HTTP %s" % r.status)
    r = get(env, "/metrics", token="admin")
    lines = [l for l in bytes(r.body).decode().splitlines() if l and not l.startswith("#")]
    check(r.status == 200 and lines and all(l.startswith("tributary_") for l in lines), "/metrics: HTTP %s" % r.status)


@case("§14 methods other than GET and HEAD get 405")
def probe_methods(env):
    r = get(env, "/healthz", method="POST")
    check(r.status == 405, "POST /healthz: HTTP %s" % r.status)
    r = get(env, "/healthz", method="HEAD")
    check(r.status == 200 and not r.body, "HEAD /healthz: HTTP %s, %d body bytes" % (r.status, len(r.body)))


# ---- beyond the protocol: the transport's own promises (docs/transport.md) ----

@case("transport: /metrics shows the queued response bytes gauge and the stalled-stream and queue-cap rejections")
def transport_metrics(env):
    r = get(env, "/metrics", token="admin")
    text = bytes(r.body).decode()
    for name in ("tributary_transport_queued_outbound_bytes ",
                 'tributary_transport_rejected_total{reason="stream_stalled"}',
                 'tributary_transport_rejected_total{reason="outbound_queue_full"}'):
        check(name in text, "/metrics lacks %s" % name.strip())


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def metric(env, name):
    r = get(env, "/metrics", token="admin")
    for line in bytes(r.body).decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("/metrics lacks %s" % name)


ZERO_WINDOW_CONNECTIONS, ZERO_WINDOW_STREAMS = 16, 100
PER_CONNECTION_CAP = 16 << 20


def zero_window_round(env, version):
    """One attack: returns RSS (before, peak, held, after close) and what the learner queued."""
    import h2.settings
    before = rss(env.pid)
    conns = []
    try:
        for _ in range(ZERO_WINDOW_CONNECTIONS):
            c = Connection(env.port, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
            c.auto_window = False
            c.pump(0.05)
            for _ in range(ZERO_WINDOW_STREAMS):
                c.request("/tributary.v1/FetchPolicy", wire.frame(wire.fetch_policy_request(version)), token=env.tokens["worker"])
            conns.append(c)
        peak, deadline = 0, time.monotonic() + 3
        while time.monotonic() < deadline:
            for c in conns:
                c.pump(0.01)
            peak = max(peak, rss(env.pid))
        queued = metric(env, "tributary_transport_queued_outbound_bytes")
        held = rss(env.pid)
    finally:
        for c in conns:
            c.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and metric(env, "tributary_transport_queued_outbound_bytes") > 0:
        time.sleep(0.2)
    check(metric(env, "tributary_transport_queued_outbound_bytes") == 0, "the queued-bytes gauge did not return to 0")
    time.sleep(6)   # the allocator is trimmed 1 s and 5 s after the close
    after = rss(env.pid)
    env.note("learner RSS before %d MiB, peak %d MiB, held %d MiB (%d MiB queued), after close %d MiB"
             % (before >> 20, peak >> 20, held >> 20, int(queued) >> 20, after >> 20))
    return before, peak, held, after, queued


@case("transport: 16 zero-window connections x 100 FetchPolicy streams: queued bytes capped per connection, RSS bounded and given back after close, twice")
def zero_window(env):
    w = register(env)
    a = announcement(env, w["workerId"])
    env.note("policy %d bytes" % a["sizeBytes"])
    start, peak, held, after, queued = zero_window_round(env, a["version"])
    check(queued <= ZERO_WINDOW_CONNECTIONS * PER_CONNECTION_CAP, "queued %d bytes over the caps" % queued)
    check(metric(env, 'tributary_transport_rejected_total{reason="outbound_queue_full"}') > 0, "nothing refused")
    bound = ZERO_WINDOW_CONNECTIONS * PER_CONNECTION_CAP + (96 << 20)
    check(held - start < bound, "held RSS grew %d MiB (bound %d MiB)" % ((held - start) >> 20, bound >> 20))
    check(after - start < 64 << 20, "RSS after close %d MiB, held %d MiB, start %d MiB" % (after >> 20, held >> 20, start >> 20))
    # Not a leak: a second attack ends where the first did (what stays is allocator slack).
    _, _, held2, after2, _ = zero_window_round(env, a["version"])
    check(held2 - start < bound, "second round held RSS grew %d MiB" % ((held2 - start) >> 20))
    check(after2 - after < 48 << 20, "RSS after the second round %d MiB, after the first %d MiB" % (after2 >> 20, after >> 20))
