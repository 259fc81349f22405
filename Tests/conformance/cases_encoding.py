"""Cases for PROTOCOL.md section 4 (framing), 5 (encoding), 6.2 (Welcome) and 7 (status)."""

import struct

import wire
from client import Connection
from common import *  # noqa: F401,F403  (case, check, call, register, FIXER, ...)


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
