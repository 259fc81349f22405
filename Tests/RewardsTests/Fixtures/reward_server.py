# Loopback reward server for the HTTP tests. Prints its port, then serves POST requests:
#   /ok        exact match of completion and answer (1.0 / 0.0)
#   /slow      sleeps 5 s first
#   /error     HTTP 500 every time
#   /flaky     HTTP 503 on the first request to /flaky, then as /ok
#   /garbage   a body that is not JSON
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

seen = {}  # requests per path
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        with lock:
            seen[self.path] = seen.get(self.path, 0) + 1
            n = seen[self.path]
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/slow":
            time.sleep(5)
        if self.path == "/error" or (self.path == "/flaky" and n == 1):
            return self.reply(500 if self.path == "/error" else 503, "{}")
        if self.path == "/garbage":
            return self.reply(200, "<html>no</html>")
        ok = [s["completion"] == s["answer"] for s in req["samples"]]
        self.reply(200, json.dumps({"id": req["id"], "rewards": [1.0 if c else 0.0 for c in ok], "correct": ok}))


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
