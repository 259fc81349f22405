"""A small blocking HTTP/2 client over the PyPI `h2` package (no code of Sources/Transport):
opens h2c (prior knowledge) or TLS connections, sends requests with any headers and any
DATA split, and collects each stream's response headers, body, trailers and reset code.
"""

import socket
import ssl
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings


class Response:
    def __init__(self):
        self.headers = None        # dict of the first header block
        self.trailers = None       # dict of the trailing block (None for trailers-only)
        self.body = bytearray()
        self.ended = False         # END_STREAM received
        self.reset = None          # RST_STREAM error code received
        self.first_data_at = None

    @property
    def status(self):
        return int(self.headers[":status"]) if self.headers else None

    def tributary_status(self):
        """The §7 status: from the trailers, or the headers of a trailers-only response."""
        block = self.trailers if self.trailers is not None else self.headers
        if not block or "tributary-status" not in block:
            return None
        return int(block["tributary-status"])

    def tributary_message(self):
        block = self.trailers if self.trailers is not None else self.headers
        return (block or {}).get("tributary-message")

    @property
    def done(self):
        return self.ended or self.reset is not None


class Connection:
    def __init__(self, port, host="127.0.0.1", tls_context=None, server_name=None, settings=None, timeout=10):
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = tls_context.wrap_socket(raw, server_hostname=server_name or host) if tls_context else raw
        self.h2 = h2.connection.H2Connection(config=h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8", validate_outbound_headers=False,
            normalize_outbound_headers=False, validate_inbound_headers=False))
        self.h2.initiate_connection()
        if settings:
            self.h2.update_settings(settings)
        self.responses = {}
        self.closed = False
        self.goaway = None
        self.auto_window = True
        self.flush()

    # -- sending --

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, path, body=None, token=None, method="POST", content_type="application/x-tributary-v1",
                extra=(), end=True, te=True, split=None):
        """Opens a stream; `body` (bytes) is sent in DATA frames of at most `split` bytes."""
        headers = [(":method", method), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1")]
        if content_type is not None:
            headers.append(("content-type", content_type))
        if token is not None:
            headers.append(("authorization", "Bearer " + token))
        if te:
            headers.append(("te", "trailers"))
        headers += list(extra)
        sid = self.h2.get_next_available_stream_id()
        self.responses[sid] = Response()
        self.h2.send_headers(sid, headers, end_stream=body is None and end)
        self.flush()
        if body is not None:
            self.send(sid, body, end=end, split=split)
        return sid

    def send(self, sid, data, end=False, split=None, timeout=10):
        """Sends `data` on `sid` as flow control allows (reading meanwhile)."""
        data = bytes(data)
        deadline = time.monotonic() + timeout
        while True:
            if not data:
                if end:
                    try:
                        self.h2.end_stream(sid)
                    except h2.exceptions.StreamClosedError:
                        return
                    self.flush()
                return
            window = min(self.h2.local_flow_control_window(sid), self.h2.max_outbound_frame_size)
            if window <= 0:
                if self.closed or self.responses[sid].done or time.monotonic() > deadline:
                    return
                self.pump(0.2)
                continue
            n = min(window, len(data), split or len(data))
            chunk, data = data[:n], data[n:]
            try:
                self.h2.send_data(sid, chunk, end_stream=end and not data)
            except h2.exceptions.StreamClosedError:
                return
            self.flush()
            if not data:
                return

    def reset(self, sid, code=8):
        self.h2.reset_stream(sid, error_code=code)
        self.flush()

    def raw(self, data):
        """Bytes straight to the socket (frames the h2 package would not write)."""
        self.sock.sendall(data)

    # -- receiving --

    def pump(self, timeout):
        """Reads once (up to `timeout` seconds) and handles the events; False when closed."""
        if self.closed:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except (socket.timeout, TimeoutError):
            return True
        except (ConnectionError, OSError, ssl.SSLError):
            data = b""
        if not data:
            self.closed = True
            return False
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.closed = True
            return False
        for e in events:
            r = self.responses.get(getattr(e, "stream_id", None))
            if isinstance(e, h2.events.ResponseReceived):
                r.headers = dict(e.headers)
            elif isinstance(e, h2.events.TrailersReceived):
                r.trailers = dict(e.headers)
            elif isinstance(e, h2.events.DataReceived):
                if r is not None:
                    r.body += e.data
                    r.first_data_at = r.first_data_at or time.monotonic()
                if self.auto_window and e.flow_controlled_length:
                    self.h2.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, h2.events.StreamEnded):
                r.ended = True
            elif isinstance(e, h2.events.StreamReset):
                if r is not None:
                    r.reset = e.error_code
            elif isinstance(e, h2.events.ConnectionTerminated):
                self.goaway = e.error_code
        try:
            self.flush()
        except OSError:
            self.closed = True
        return True

    def wait(self, sid, timeout=10):
        """Reads until stream `sid` ends or is reset (or the connection closes / time runs out)."""
        deadline = time.monotonic() + timeout
        r = self.responses[sid]
        while not r.done and not self.closed and time.monotonic() < deadline:
            self.pump(min(0.5, max(0.01, deadline - time.monotonic())))
        return r

    def close(self):
        try:
            self.h2.close_connection()
            self.flush()
        except Exception:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
