# Probing helpers (RFC 6762 s8.1, s8.2): timing constants, the simultaneous-probe
# tiebreak, new names after a conflict, and the conflict rate limit.
# The probe/announce state machine itself lives in mdns.responder.

PROBE_DELAY_MAX = 250  # s8.1: random 0-250 ms before the first probe
PROBE_INTERVAL = 250  # s8.1: probes 250 ms apart, and 250 ms after the last one
PROBE_COUNT = 3
TIEBREAK_WAIT = 1000  # s8.2: the loser waits one second, then probes again
CONFLICT_BURST = 15  # s8.1: 15 conflicts within 10 s ...
CONFLICT_WINDOW = 10000
CONFLICT_BACKOFF = 5000  # ... then at least 5 s before each further attempt


def _sort_key(r):
    return (r.cls & 0x7FFF, r.type, r.rdata())


def tiebreak(ours, theirs):
    """s8.2: compare two sets of proposed records. Returns 1 when ours is
    lexicographically later (we win), -1 when earlier (we lose), 0 when
    identical (our own probe, or a mirror). Records are compared by class
    (without the cache-flush bit), then type, then raw rdata; a list that runs
    out first is the earlier one."""
    a = sorted([_sort_key(r) for r in ours])
    b = sorted([_sort_key(r) for r in theirs])
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return 1 if a[i] > b[i] else -1
    if len(a) == len(b):
        return 0
    return 1 if len(a) > len(b) else -1


def _trim_utf8(s, max_bytes):
    # Cut a str so that its UTF-8 form fits max_bytes, never inside a character.
    b = s.encode()
    if len(b) <= max_bytes:
        return s
    b = b[:max_bytes]
    while b:
        try:
            return b.decode()
        except UnicodeError:
            b = b[:-1]
    return ""


def _split_suffix(label, open_, close):
    # "name-7" -> ("name", 7) for open_="-", close=""; "Cam (3)" -> ("Cam", 3).
    if close:
        if not label.endswith(close):
            return label, 1
        i = label.rfind(open_)
        num = label[i + len(open_) : -len(close)] if i >= 0 else ""
    else:
        i = label.rfind(open_)
        num = label[i + len(open_) :] if i > 0 else ""
    if num and num.isdigit() and num[0] != "0":
        return label[:i], int(num)
    return label, 1


def next_host_label(label):
    """s8.1 / s9: "kitchen-cam" -> "kitchen-cam-2" -> "kitchen-cam-3" ..."""
    base, n = _split_suffix(label, "-", "")
    suffix = "-%d" % (n + 1)
    return _trim_utf8(base, 63 - len(suffix)) + suffix


def next_instance_label(label):
    """RFC 6763 s9 style: "Kitchen Cam" -> "Kitchen Cam (2)" -> "Kitchen Cam (3)" ..."""
    base, n = _split_suffix(label, " (", ")")
    suffix = " (%d)" % (n + 1)
    return _trim_utf8(base, 63 - len(suffix)) + suffix


class ConflictLimiter:
    """s8.1: after 15 conflicts in any 10 s, wait 5 s before each further probe
    attempt; the back-off lasts until 10 s pass without a conflict."""

    def __init__(self):
        self.times = []
        self.backoff = False

    def note(self, now):
        t = self.times
        if t and now - t[-1] > CONFLICT_WINDOW:
            self.backoff = False
        t.append(now)
        if len(t) > CONFLICT_BURST:
            t.pop(0)
        if len(t) >= CONFLICT_BURST and now - t[0] <= CONFLICT_WINDOW:
            self.backoff = True

    def delay(self, now):
        t = self.times
        if self.backoff and t and now - t[-1] <= CONFLICT_WINDOW:
            return CONFLICT_BACKOFF
        return 0
