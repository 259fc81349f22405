"""Cases for the transport's own promises beyond the protocol (docs/transport.md, Bounded memory):
the queued-bytes gauge on /metrics and the zero-window FetchPolicy attack against the learner."""

import time

import wire
from client import Connection
from common import *  # noqa: F401,F403  (case, check, call, register, FIXER, ...)


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

