# Questions we ask (RFC 6762 s5, s7): continuous queries with backoff (s5.2), the
# first one QU (s5.4), known answers (s7.1) spilling over packets with TC (s7.2),
# duplicate question suppression (s7.3), refresh queries for the cache (s5.2), and
# one-shot queries with a timeout. Browsers and lookups are clients of the one
# Querier of an engine: it ticks them and sums their deadlines, so they come and
# go without touching the engine's list of parts.
from . import wire
from . import cache as _cache
from .engine import Event
from .names import fold, to_wire

FIRST_DELAY = (20, 120)  # s5.2: first query of a series after 20-120 ms
FIRST_INTERVAL = 1000  # s5.2: at least one second between the first two
MAX_INTERVAL = 3600000  # s5.2: intervals double up to one hour
ECHO_MS = 250  # a query of ours seen again within this time is our own echo


class _Q:
    def __init__(self, name, type, qu):
        self.name = name
        self.type = type
        self.qu = qu  # first query of the series asks for unicast replies (s5.4)
        self.refs = 1
        self.next = None  # None = schedule at the next tick
        self.delay = None  # first-query delay chosen by the asker (None = 20-120 ms)
        self.interval = FIRST_INTERVAL
        self.sent = 0
        self.wire = to_wire(name)


class Querier:
    def __init__(self, engine, cache=None):
        self.engine = engine
        self.cache = cache if cache is not None else _cache.of(engine)
        self.cache.on_refresh = self.refresh
        self._qs = {}  # (fold(name), type) -> _Q
        self._urgent = []  # [(name, type)] to send at the next tick (QM)
        self._echo = {}  # (fold(name), type) -> when we last sent it
        self._clients = []
        self.queries_sent = 0  # messages
        self.packets_sent = 0  # datagrams (more than messages when known answers spill)
        self.suppressed = 0  # questions not sent because another host asked them (s7.3)

    # ---- clients (browsers, lookups) ----
    def add_client(self, c):
        self._clients = self._clients + [c]
        self.cache.interest_changed()

    def remove_client(self, c):
        # rebinding (not list.remove) keeps a loop over the old list valid
        self._clients = [x for x in self._clients if x is not c]
        self.cache.interest_changed()

    # ---- continuous questions ----
    def ask(self, name, type, qu=True, delay=None):
        """Ask name/type until unask(): the first query after `delay` ms (default
        20-120 ms), then 1 s, 2 s, 4 s ... up to an hour apart. Reference counted."""
        k = (fold(name), type)
        q = self._qs.get(k)
        if q is not None:
            q.refs += 1
            return q
        q = _Q(name, type, qu)
        q.delay = delay
        self._qs[k] = q
        self.cache.interest_changed()
        return q

    def unask(self, name, type):
        k = (fold(name), type)
        q = self._qs.get(k)
        if q is None:
            return
        q.refs -= 1
        if q.refs <= 0:
            del self._qs[k]
            self.cache.interest_changed()

    def asking(self, name, type):
        return (fold(name), type) in self._qs

    def refresh(self, questions, now):
        """Cache callback (s5.2 80-95 % refresh): ask these at the next tick, QM."""
        for q in questions:
            if q not in self._urgent:
                self._urgent.append(q)

    # ---- engine part ----
    def names(self):
        out = [q.wire for q in self._qs.values()]
        for c in self._clients:
            f = getattr(c, "names", None)
            if f is not None:
                for n in f():
                    if n not in out:
                        out.append(n)
        return out

    def deadline(self):
        best = None
        if self._urgent:
            return 0
        for q in self._qs.values():
            if q.next is None:
                return 0
            if best is None or q.next < best:
                best = q.next
        for c in self._clients:
            d = c.deadline()
            if d is not None and (best is None or d < best):
                best = d
        return best

    def tick(self, now):
        # clients first: a lookup that times out withdraws its question before
        # it goes out, one that starts gets its first query out at once
        for c in self._clients:
            c.tick(now)
        self._schedule(now)
        due = None
        for q in self._qs.values():
            if q.next <= now:
                if due is None:
                    due = []
                due.append(q)
        if due or self._urgent:
            self._send(due or (), now)

    def on_query(self, msg, src, now):
        if self.engine.is_own(src):
            return
        if src is not None and len(src) > 1 and src[1] != 5353:
            # legacy unicast query (s6.7): answered by unicast to its port, so we see
            # no answers; it neither asks for us (s7.3) nor tells of a failure (s10.5)
            return
        if msg.truncated:
            # more known answers follow in another packet; judging on part of
            # them could suppress too much (s7.3) or count POOF wrongly (s10.5)
            return
        known = None
        for qn in msg.questions:
            k = (fold(qn.name), qn.type)
            t = self._echo.get(k)
            if t is not None and now - t < ECHO_MS:
                continue  # our own query looped back
            if known is None:
                known = [r.key() for r in msg.answers]
            if not qn.unicast:
                # s10.5: a QM query our records should answer in a multicast reply
                self.cache.observe_query(qn.name, qn.type, known, now)
            q = self._qs.get(k)
            if q is None or qn.unicast or q.next is None:
                continue
            # s7.3: another host asked our question and listed no known answer we
            # would not list: its answers serve us too, so treat ours as sent.
            mine = [r.key() for r in self.cache.known_answers(q.name, q.type, now)]
            ok = True
            for key in known:
                if (key[0] == k[0] and (key[1] == q.type or q.type == wire.TYPE_ANY)) and key not in mine:
                    ok = False
                    break
            if ok:
                self.suppressed += 1
                self._advance(q, now)

    # ---- internals ----
    def _schedule(self, now):
        join = None  # a first-query time in the 20-120 ms window to share
        for q in self._qs.values():
            if q.next is not None and q.sent == 0 and now + FIRST_DELAY[0] <= q.next <= now + FIRST_DELAY[1]:
                join = q.next
        for q in self._qs.values():
            if q.next is None:
                if q.delay is not None:
                    q.next = now + q.delay
                elif join is not None:
                    q.next = join
                else:
                    q.next = join = now + self.engine.rand(FIRST_DELAY[0], FIRST_DELAY[1])

    def _advance(self, q, now):
        q.sent += 1
        q.next = now + q.interval
        q.interval = min(q.interval * 2, MAX_INTERVAL)

    def _send(self, due, now):
        questions = []
        known = []
        keys = []
        for q in due:
            questions.append(wire.Question(q.name, q.type, q.qu and q.sent == 0))
        for nt in self._urgent:
            if not self.asking(nt[0], nt[1]) or self._qs[(fold(nt[0]), nt[1])] not in due:
                questions.append(wire.Question(nt[0], nt[1]))
        self._urgent = []
        for qn in questions:
            for r in self.cache.known_answers(qn.name, qn.type, now):
                k = r.key()
                if k not in keys:
                    keys.append(k)
                    known.append(r)
        msg = wire.Message(0, 0, questions, known)
        packets = wire.encode(msg, self.engine.max_payload)
        self.engine.send(packets, None)
        self.queries_sent += 1
        self.packets_sent += len(packets)
        for qn in questions:
            k = (fold(qn.name), qn.type)
            self._echo[k] = now
            # s10.5: our own query counts too (we hear unicast replies to QU as well)
            self.cache.observe_query(qn.name, qn.type, keys, now)
        for q in due:
            self._advance(q, now)
        if len(self._echo) > 64:
            for k in list(self._echo):
                if now - self._echo[k] >= ECHO_MS:
                    del self._echo[k]


class Query:
    """One-shot query: ask `questions` ([(name, type)]) until the cache holds an
    answer, then wait `settle_ms` for more (A and AAAA often come apart), or until
    `timeout_ms` has passed. need="all": wait for an answer to every question;
    need=None: collect until the timeout (enumeration). `done` and `result` (list
    of records, [] on timeout) tell the outcome; on_done(result) is called once
    and an Event("answer", name=..., records=...) is emitted."""

    def __init__(self, querier, questions, timeout_ms, on_done=None, settle_ms=0, need="any", qu=True):
        self.querier = querier
        self.cache = querier.cache
        self.questions = list(questions)
        self.timeout_ms = timeout_ms
        self.on_done = on_done
        self.settle_ms = settle_ms
        self.need = need
        self.qu = qu
        self.done = False
        self.timed_out = False
        self.result = []
        self._t_end = None
        self._t_settle = None
        self._started = False
        self._listener = self._on_cache  # one bound method, removed by identity
        querier.add_client(self)
        self.cache.listeners = self.cache.listeners + [self._listener]

    def names(self):
        return [to_wire(n) for n, t in self.questions]

    def deadline(self):
        if self.done:
            return None
        if not self._started:
            return 0
        if self._t_settle is not None and self._t_settle < self._t_end:
            return self._t_settle
        return self._t_end

    def tick(self, now):
        if self.done:
            return
        if not self._started:
            self._started = True
            self._t_end = now + self.timeout_ms
            self._check(now)
            if self.done:
                return
            for n, t in self.questions:
                self.cache.want(n, t)
                self.querier.ask(n, t, self.qu, 0)
            return
        if now >= self._t_end:
            self.timed_out = not self._answers(now)[0]
            self._finish(now)
        elif self._t_settle is not None and now >= self._t_settle:
            self._finish(now)

    def cancel(self):
        if not self.done:
            self._close()
            self.done = True

    def _on_cache(self, kind, rec, now):
        if kind == "batch" and self._started and not self.done:
            self._check(now)

    def _answers(self, now):
        got = []
        n_ok = 0
        for n, t in self.questions:
            recs = self.cache.get(n, t, now)
            if recs:
                n_ok += 1
                got.extend(recs)
        return got, n_ok

    def _check(self, now):
        if self.need is None:
            return
        got, n_ok = self._answers(now)
        if n_ok == 0 or (self.need == "all" and n_ok < len(self.questions)):
            return
        if self.settle_ms and n_ok < len(self.questions):
            if self._t_settle is None:
                self._t_settle = now + self.settle_ms
            return
        self._finish(now)

    def _finish(self, now):
        if self.done:
            return
        self.result = self._answers(now)[0]
        self._close()
        self.done = True
        self.querier.engine.emit(Event("answer", name=self.questions[0][0], records=self.result))
        if self.on_done is not None:
            self.on_done(self.result)

    def _close(self):
        if self._started:
            for n, t in self.questions:
                self.querier.unask(n, t)
                self.cache.unwant(n, t)
        fn = self._listener
        self.cache.listeners = [f for f in self.cache.listeners if f is not fn]
        self.querier.remove_client(self)


def of(engine, **cache_kw):
    """The engine's shared querier (and cache), created and attached on first use."""
    for p in engine.parts:
        if isinstance(p, Querier):
            return p
    q = Querier(engine, _cache.of(engine, **cache_kw))
    engine.attach(q)
    return q
