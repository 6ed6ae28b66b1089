"""The host's HTTP server for fleet upgrades: stdlib, one thread per client,
bound to the address of the interface the devices are on. Serves each board's
app image at /<its file name> (BOARD-VERSION-app.bin) and counts bytes sent per client address
(the live progress of `fleet upgrade`)."""
import http.server
import os
import socketserver
import threading
import time

CHUNK = 64 * 1024


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "mdns-fleet"

    def log_message(self, fmt, *args):  # quiet: progress is shown elsewhere
        pass

    def do_GET(self):
        srv = self.server.owner
        img = srv.files.get(self.path)
        ip = self.client_address[0]
        if img is None:
            self.send_error(404)
            return
        srv._note(ip, 0, img, start=True)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(img.size))
            self.end_headers()
            rate = srv.rate
            chunk = min(CHUNK, max(1024, rate // 10)) if rate else CHUNK
            t0 = time.monotonic()
            sent = 0
            with open(img.path, "rb") as f:
                while True:
                    b = f.read(chunk)
                    if not b:
                        break
                    self.wfile.write(b)
                    sent += len(b)
                    srv._note(ip, len(b), img)
                    if rate:  # --rate: at most `rate` bytes/s to this client
                        ahead = sent / rate - (time.monotonic() - t0)
                        if ahead > 0:
                            time.sleep(ahead)
            srv._note(ip, 0, img, done=True)
        except OSError:
            srv._note(ip, 0, img, failed=True)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class ImageServer:
    """ImageServer(images, host, port=0, handler=None, rate=0): images is {board: fleet_release.Image};
    handler: a request handler class (tests inject faults with a subclass of _Handler);
    rate: bytes/s per client at most (0: as fast as it goes)."""

    def __init__(self, images, host, port=0, handler=None, rate=0):
        self.rate = rate
        self.files = {}
        for board in images:
            self.files["/" + os.path.basename(images[board].path)] = images[board]
        self.host = host
        self.httpd = _Server((host, port), handler or _Handler)
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.lock = threading.Lock()
        self.clients = {}  # ip -> {"sent", "size", "state", "board"}
        self.bytes_sent = 0
        self._thread = None

    def url(self, board):
        for path, img in self.files.items():
            if img.board == board:
                h = "[%s]" % self.host if ":" in self.host else self.host
                return "http://%s:%d%s" % (h, self.port, path)
        raise KeyError(board)

    def _note(self, ip, n, img, start=False, done=False, failed=False):
        with self.lock:
            c = self.clients.setdefault(ip, {"sent": 0, "size": img.size, "state": "", "board": img.board,
                                             "requests": 0})
            if start:
                c["sent"] = 0
                c["requests"] += 1
                c["state"] = "sending"
            c["sent"] += n
            self.bytes_sent += n
            if done:
                c["state"] = "sent"
            if failed:
                c["state"] = "broken"

    def progress(self, ip):
        with self.lock:
            c = self.clients.get(ip)
            return dict(c) if c else None

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="fleet-http", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
