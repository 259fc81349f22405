"""Cases for PROTOCOL.md section 2 (transport), 13 (authentication) and 14 (plain HTTP routes)."""

import socket
import ssl
import time

import wire
from client import Connection
from common import *  # noqa: F401,F403  (case, check, call, register, FIXER, ...)


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

@case("§14 /healthz answers 200 ok without a token")
def healthz(env):
    r = get(env, "/healthz")
    check(r.status == 200 and bytes(r.body) == b"ok\n", "/healthz: %s %r" % (r.status, bytes(r.body)))


@case("§14 /readyz answers 200 with body ready (as §14 words it) without a token", FIXER)
def readyz(env):
    r = get(env, "/readyz")
    check(r.status == 200 and bytes(r.body) == b"ready\n", "/readyz: %s %r" % (r.status, bytes(r.body)))


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
