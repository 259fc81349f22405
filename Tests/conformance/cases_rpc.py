"""Cases for PROTOCOL.md section 3 (RPCs), 6 (messages), 8 (rejections) and 9 (limits)."""

import hashlib
import struct
import time

import wire
from client import Connection
from common import *  # noqa: F401,F403  (case, check, call, register, FIXER, ...)


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
