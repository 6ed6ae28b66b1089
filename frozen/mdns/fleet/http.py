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


def get(url, writer, timeout=10, connect=None, progress=None):
    """Download `url` into `writer` (a SlotWriter). Raises HttpError(reason).
    `connect(host, port, timeout)` returns a socket (tests pass fakes);
    `progress(received, length)` is called after every 4096-byte block."""
    host, port, path = split_url(url)
    try:
        s = (connect or _connect)(host, port, timeout)
    except OSError:
        raise HttpError(CONNECT)
    try:
        req = "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: mdns-fleet\r\n\r\n" % (path, host)
        data = req.encode()
        sent = 0
        while sent < len(data):
            n = s.send(data[sent:])
            if not n:
                raise HttpError(CONNECT)
            sent += n
        rd = _reader(s)
        try:
            _headers(rd, writer)
            last = -1
            while writer.remaining() > 0:
                sp = writer.space()
                n = rd(sp)
                if not n:
                    raise HttpError(TRUNCATED)
                writer.got(n)
                if progress is not None and writer.block != last:
                    last = writer.block
                    progress(writer.received, writer.length)
        except OSError as e:
            raise HttpError(_io_reason(e))
    finally:
        s.close()


def _headers(rd, writer):
    """Read the status line and headers; body bytes read past them go to `writer`."""
    hdr = bytearray(_HDR_MAX)
    mv = memoryview(hdr)
    pos = 0
    end = -1
    state = 0  # how much of CR LF CR LF has been seen
    while end < 0:
        if pos >= _HDR_MAX:
            raise HttpError(HTTP)
        n = rd(mv[pos:])
        if not n:
            raise HttpError(HTTP if pos == 0 else TRUNCATED)
        for i in range(pos, pos + n):
            c = hdr[i]
            if c == _PAT[state]:
                state += 1
                if state == 4:
                    end = i + 1
                    break
            else:
                state = 1 if c == 13 else 0
        pos += n
    try:
        text = bytes(mv[:end]).decode()
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
    if pos > end:
        writer.write(mv[end:pos])
