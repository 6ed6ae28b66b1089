# Shared fakes for the fleet unit tests: an HTTP server that is a scripted socket.
import hashlib

from mdns.fleet import offer


class FakeSock:
    """A connected socket whose peer sends `reply` (bytes) then closes, or raises
    `fail` (an OSError) once `cut` bytes have been delivered. Delivers in `chunk`s."""

    def __init__(self, reply, cut=None, fail=None, chunk=1500):
        self.reply = reply
        self.pos = 0
        self.cut = len(reply) if cut is None else cut
        self.fail = fail
        self.chunk = chunk
        self.sent = b""
        self.closed = False

    def send(self, data):
        self.sent += bytes(data)
        return len(data)

    def recv_into(self, mv):
        if self.pos >= self.cut:
            if self.fail is not None:
                raise self.fail
            return 0
        n = min(len(mv), self.chunk, self.cut - self.pos)
        mv[:n] = self.reply[self.pos : self.pos + n]
        self.pos += n
        return n

    def close(self):
        self.closed = True


def http_reply(body, status="200 OK", length=True):
    h = "HTTP/1.0 %s\r\nServer: fake\r\nContent-Type: application/octet-stream\r\n" % status
    if length is True:
        h += "Content-Length: %d\r\n" % len(body)
    elif length is not None:
        h += "Content-Length: %s\r\n" % length
    return h.encode() + b"\r\n" + body


def connector(sock):
    calls = []

    def connect(host, port, timeout):
        calls.append((host, port))
        if isinstance(sock, Exception):
            raise sock
        return sock

    connect.calls = calls
    return connect


from cryptography.hazmat.primitives.asymmetric import ec

from mdns.host import fleet_keys

_PRIV = ec.generate_private_key(ec.SECP256R1())
KEY = fleet_keys.signer(_PRIV)  # signs offers
PUB = bytes.fromhex(fleet_keys.pub_hex(_PRIV))  # what the device keeps
_OTHER = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = fleet_keys.signer(_OTHER)
OTHER_PUB = bytes.fromhex(fleet_keys.pub_hex(_OTHER))


def signed(image, board="B1", version="0.2.0", dev="dev1", key=KEY, url="http://10.0.0.1:8080/B1/micropython.bin",
           nonce="0011223344556677", host="host1", **kw):
    return offer.make(key, dev, host, nonce, board, version, len(image), hashlib.sha256(image).hexdigest(), url,
                      **kw)
