# A streamed HTTP/1.0 GET over a plain socket, straight into a SlotWriter.
# The host serves plain HTTP on the LAN; integrity comes from the signed sha256.
HTTP = "http"  # not a 200 reply, or not HTTP at all
LENGTH = "length"  # Content-Length differs from the offer's length
CONNECT = "connect"
TIMEOUT = "timeout"
TRUNCATED = "truncated"
_HDR_MAX = 1024
_PAT = b"\r\n\r\n"


class HttpError(Exception):
    @property
    def reason(self):
        return self.args[0]


def split_url(url):
    """'http://10.0.0.2:8080/a/b.bin' -> ('10.0.0.2', 8080, '/a/b.bin')."""
    if not url.startswith("http://"):
        raise HttpError(HTTP)
    rest = url[7:]
    i = rest.find("/")
    if i < 0:
        hostport, path = rest, "/"
    else:
        hostport, path = rest[:i], rest[i:]
    port = 80
    j = hostport.rfind(":")
    if j > 0 and hostport[j + 1 :].isdigit():
        port = int(hostport[j + 1 :])
        hostport = hostport[:j]
    if hostport.startswith("[") and hostport.endswith("]"):
        hostport = hostport[1:-1]
    return hostport, port, path


def _connect(host, port, timeout):
    import socket

    ai = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
    s = socket.socket(ai[0], socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(ai[-1])
    return s


def _reader(s):
    f = getattr(s, "readinto", None)
    return f if f is not None else s.recv_into


def _io_reason(e):
    if isinstance(e, HttpError):
        return e.reason
    code = e.args[0] if e.args else None
    if code in (110, 116, 11) or "timed out" in str(e):
        return TIMEOUT
    return TRUNCATED


class Get:
    """One download in steps, so the caller's mDNS loop keeps running between
    them (docs/fleet.md, "Visible while busy"). Get(url, writer, timeout,
    connect) connects and sends the request; step(now_ms) reads what has arrived,
    for at most `budget_ms`, and returns True once the whole body is in `writer`.
    Raises HttpError(reason). Nothing arriving for `timeout` s is TIMEOUT."""

    def __init__(self, url, writer, timeout=10, connect=None, now=0):
        host, port, path = split_url(url)
        try:
            s = (connect or _connect)(host, port, timeout)
        except OSError:
            raise HttpError(CONNECT)
        self.s = s
        self.w = writer
        self.timeout_ms = int(timeout * 1000)
        self.last = now
        self.pos = 0
        self.state = 0  # how much of CR LF CR LF has been seen; 4: in the body
        self.poller = None
        self.mark = writer.length  # step() also returns once this many bytes are in
        try:
            req = "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: mdns-fleet\r\n\r\n" % (path, host)
            data = req.encode()
            sent = 0
            while sent < len(data):
                n = s.send(data[sent:])
                if not n:
                    raise HttpError(CONNECT)
                sent += n
        except OSError:
            self.close()
            raise HttpError(CONNECT)
        try:
            import select

            p = select.poll()
            p.register(s, select.POLLIN)  # MicroPython: any stream; CPython: a fileno
            self.poller = p
        except (ImportError, AttributeError, TypeError, ValueError, OSError):
            pass  # a test's fake socket: every read returns at once
        self.rd = _reader(s)

    def close(self):
        self.s.close()

    def _ready(self):
        # without a poller (test fakes) every read returns at once
        return self.poller is None or bool(self.poller.poll(0))

    def step(self, now, budget_ms=50, clock=None):
        w = self.w
        t0 = now
        try:
            while True:
                if self.state == 4 and w.remaining() <= 0:
                    return True
                if not self._ready():
                    if now - self.last > self.timeout_ms:
                        raise HttpError(TIMEOUT)
                    return False
                if self.state < 4:
                    self._head()
                else:
                    n = self.rd(w.space())
                    if not n:
                        raise HttpError(TRUNCATED)
                    w.got(n)
                if clock is not None:
                    now = clock()
                self.last = now
                if now - t0 >= budget_ms or w.received >= self.mark:
                    return self.state == 4 and w.remaining() <= 0
        except OSError as e:
            raise HttpError(_io_reason(e))

    def _head(self):
        """Read the status line and headers into the start of the writer's block
        buffer (no buffer of their own); body bytes read past them stay there."""
        pos = self.pos
        if pos >= _HDR_MAX:
            raise HttpError(HTTP)
        w = self.w
        n = self.rd(w.mv[pos:_HDR_MAX])
        if not n:
            raise HttpError(HTTP if pos == 0 else TRUNCATED)
        b = w.buf
        end = -1
        st = self.state
        for i in range(pos, pos + n):
            c = b[i]
            if c == _PAT[st]:
                st += 1
                if st == 4:
                    end = i + 1
                    break
            else:
                st = 1 if c == 13 else 0
        self.state = st
        self.pos = pos + n
        if end < 0:
            return
        _check_head(w.mv[:end], w)
        k = self.pos - end
        if k > w.length:
            k = w.length  # bytes past the image are never written
        for i in range(k):  # move the body's first bytes to the front (forward: safe)
            b[i] = b[end + i]
        if k:
            w.got(k)


def get(url, writer, timeout=10, connect=None, progress=None):
    """Download `url` into `writer` (a SlotWriter) in one go. Raises HttpError(reason).
    `connect(host, port, timeout)` returns a socket (tests pass fakes);
    `progress(received, length)` is called after every 4096-byte block."""
    g = Get(url, writer, timeout, connect)
    g.poller = None  # blocking reads: the socket's own timeout applies
    try:
        last = -1
        while not g.step(0, 0):
            if progress is not None and writer.block != last:
                last = writer.block
                progress(writer.received, writer.length)
    finally:
        g.close()


def _check_head(head, writer):
    try:
        text = bytes(head).decode()
    except UnicodeError:
        raise HttpError(HTTP)
    lines = text.split("\r\n")
    st = lines[0].split(" ")
    if len(st) < 2 or not st[0].startswith("HTTP/1.") or st[1] != "200":
        raise HttpError(HTTP)
    for ln in lines[1:]:
        i = ln.find(":")
        if i > 0 and ln[:i].strip().lower() == "content-length":
            v = ln[i + 1 :].strip()
            if not v.isdigit() or int(v) != writer.length:
                raise HttpError(LENGTH)
