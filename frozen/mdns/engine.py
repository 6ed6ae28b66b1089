# The protocol engine core: no sockets, no clock. Datagrams and time go in,
# datagrams and events come out (docs/design.md, "The engine contract").
# Parts (responder, cache, querier, browsers) attach and do the protocol work.
from . import wire


class Event:
    """Something that happened: kind plus keyword fields as attributes."""

    def __init__(self, kind, **fields):
        self.kind = kind
        self.fields = fields
        for k in fields:
            setattr(self, k, fields[k])

    def __repr__(self):
        return "Event(%r, %r)" % (self.kind, self.fields)


def _default_rand(lo, hi):
    # os.urandom exists on every port we run on; random may lack randint.
    import os

    span = hi - lo + 1
    if span <= 1:
        return lo
    b = os.urandom(4)
    return lo + ((b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) % span)


def _keys(names):
    # For the pure-Python drop test: per name, its labels ASCII-lowercased with their
    # length byte, the cheap letter-free ones first. A name equal to ours writes every one of its labels
    # literally somewhere in the datagram (compression only points at earlier labels).
    out = []
    for w in names:
        labs = []
        i = 0
        while w[i]:
            lab = w[i:i + 1 + w[i]].lower()
            if lab.upper() == lab:
                k = (lab, None)  # no letters (digits of a reverse name): one exact find
            else:
                k = (lab[:1], lab[1:])
            if k not in labs:
                labs.append(k)
            i += 1 + w[i]
        # exact finds first, in name order (a reverse name's host byte leads), then the
        # longest labels (MicroPython's sort is not stable: the key orders fully)
        order = [((0, j) if labs[j][1] is None else (1, -len(labs[j][1]), j), labs[j])
                 for j in range(len(labs))]
        order.sort()
        labs = [x[1] for x in order]
        if labs not in out:
            out.append(labs)
    return out


def _mentions(data, keys):
    # False only when, for every name of ours, some label of it occurs nowhere in data
    # (ASCII case-insensitively). bytes.find scans; Python looks only where a label's
    # length byte occurs. One function, no calls: this runs for every datagram.
    n = len(data)
    for labs in keys:
        for b, lab in labs:
            p = data.find(b, 12)
            if lab is None:  # b is the whole label: no case to fold
                if p < 0:
                    break
                continue
            L = len(lab)
            c = lab[0]
            while 0 <= p < n - L:
                x = data[p + 1]
                if x == c or (65 <= x <= 90 and x + 32 == c):
                    i = 1
                    while i < L:
                        x = data[p + 1 + i]
                        if 65 <= x <= 90:
                            x += 32
                        if x != lab[i]:
                            break
                        i += 1
                    else:
                        break  # found
                p = data.find(b, p + 1)
            else:
                break  # not found: this name is not in data
        else:
            return True
    return False


def _never(src):
    return False


def _always(src):
    return True


class Engine:
    def __init__(self, rand=None, max_payload=wire.MAX_PAYLOAD):
        self.rand = rand or _default_rand
        self.max_payload = max_payload
        self.parts = []
        self._ticks = []  # (part, its bound tick): tick() allocates no bound method per call
        self._quick = None  # the only part's quick(data, src, now), see handle()
        self._out = []
        self._events = []
        self._table = None  # concatenated wire names of interest, or None = all
        self._keys = None  # their labels (_keys), for the pure-Python drop pre-check
        self._mask_all = 0
        self._writer = None  # the one wire.Writer parts build packets in (writer())
        self.dropped = 0  # packets that did not concern us (hot-path drop)
        self.malformed = 0
        # Set by the drivers from mdns.net.Sockets; parts may call them.
        self.is_own = _never  # is_own(src): our own datagram, looped back
        self.on_link = _always  # on_link(src): RFC 6762 s11 source check

    # ---- parts ----
    def attach(self, part):
        self.parts.append(part)
        self._parts_changed()
        return part

    def detach(self, part):
        if part in self.parts:
            self.parts.remove(part)
        self._parts_changed()

    def _parts_changed(self):
        ps = self.parts
        self._ticks = [(p, p.tick) for p in ps if hasattr(p, "tick")]
        self._quick = getattr(ps[0], "quick", None) if len(ps) == 1 else None
        self.interest_changed()

    def interest_changed(self):
        """Rebuild the hot-path name table; parts call this when their names change."""
        names = []
        for p in self.parts:
            f = getattr(p, "names", None)
            if f is None:
                continue
            got = f()
            if got is None:
                self._table = None
                return
            for n in got:
                if n not in names:
                    names.append(n)
                    if len(names) > 32:
                        # too many to match one by one: every packet goes in. Stop here:
                        # a browser of 200 services has ~800 (the dedup was quadratic)
                        self._table = None
                        return
        if not names:
            self._table = b""
            return
        self._table = b"".join(names)
        # Only for a responder alone (its names change rarely) on the pure-Python backend:
        # ~500 B of tuples for a hostname; a browser's names change with every service.
        self._keys = _keys(names) if self._quick is not None and not wire.native else None

    # ---- input ----
    def feed(self, data, src, now):
        if self.wants(data):
            self.handle(data, src, now)

    def wants(self, data):
        """The hot-path drop test alone (nothing allocated): False (and counted in
        `dropped` or `malformed`) when no part wants the datagram. A driver calls it
        before building `src`, then handle(); feed() does both."""
        t = self._table
        if t is None:
            return True
        k = self._keys
        if t and k is not None and not wire.native and type(data) is bytes and not _mentions(data, k):
            # pure Python: match walks every record in Python; a datagram where no
            # label of ours occurs cannot name us (malformed or not: dropped either way)
            self.dropped += 1
            return False
        try:
            # One call decides whether the packet mentions any of our names;
            # an empty table means nobody listens (nothing attached wants packets).
            if t and wire.match(data, t):
                return True
        except ValueError:
            self.malformed += 1
            return False
        self.dropped += 1
        return False

    def handle(self, data, src, now):
        """A datagram that passed wants(): decode it and hand it to the parts. When one
        part is attached and has quick(data, src, now), it may answer a plain query
        from the raw bytes first (True: done, nothing decoded)."""
        q = self._quick
        if q is not None and q(data, src, now):
            return
        try:
            msg = wire.decode(data)
        except ValueError:
            self.malformed += 1
            return
        resp = msg.is_response
        for p in self.parts:
            h = getattr(p, "on_response" if resp else "on_query", None)
            if h is not None:
                try:
                    h(msg, src, now)
                except Exception as e:  # one faulty part must not starve the others
                    self.emit(Event("error", error=e, part=p))

    def tick(self, now):
        for p, t in self._ticks:
            try:
                t(now)
            except Exception as e:
                self.emit(Event("error", error=e, part=p))

    def next_deadline(self):
        best = None
        for p in self.parts:
            d = getattr(p, "deadline", None)
            if d is None:
                continue
            d = d()
            if d is not None and (best is None or d < best):
                best = d
        return best

    # ---- output (for parts) ----
    def send(self, packets, dest=None):
        if type(packets) is bytes:
            self._out.append((packets, dest))  # immutable: kept as is, no copy
        elif isinstance(packets, (bytes, bytearray)):
            self._out.append((bytes(packets), dest))
        else:
            for p in packets:
                self._out.append((p, dest))

    def writer(self, id=0, flags=0, max_size=None):
        """The engine's wire.Writer, reset for a new packet of at most max_size
        (default max_payload) bytes: one set of buffers for every packet parts
        build. Take packet() before the next writer() call (parts run one at a time)."""
        if max_size is None:
            max_size = self.max_payload
        w = self._writer
        if w is None:
            w = self._writer = wire.Writer(id, flags, max_size)
            return w
        return w.reset(id, flags, max_size)

    def emit(self, event):
        self._events.append(event)

    # ---- output (for drivers) ----
    # Nothing queued: an empty tuple, so an idle loop allocates no list per round.
    def take_output(self):
        out = self._out
        if not out:
            return ()
        self._out = []
        return out

    def take_events(self):
        ev = self._events
        if not ev:
            return ()
        self._events = []
        return ev
