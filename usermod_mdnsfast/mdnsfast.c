/* mdnsfast: DNS names and messages on the caller's buffers (RFC 1035 s4.1,
 * compression s4.1.4; mDNS RFC 6762 s18). No allocation, no MicroPython include.
 * The check order of every function is part of the contract (docs/design.md):
 * the pure-Python twin mdns.fastpy raises the same error for the same input. */
#include <string.h>

#include "mdnsfast.h"

const char *mdf_strerror(int32_t code) {
    /* Indexed by -code. */
    static const char *const reasons[] = {
        "", "truncated", "label too long", "name too long", "bad label type",
        "bad pointer", "too many pointer hops", "bad counts", "trailing data", "no room",
    };
    if (code > 0 || code < MDF_E_NO_ROOM) {
        return "";
    }
    return reasons[-code];
}

static uint8_t lc(uint8_t c) {
    return (uint8_t)((uint8_t)(c - 'A') < 26u ? c | 0x20 : c);
}

static int ieq(const uint8_t *a, const uint8_t *b, size_t n) {
    while (n--) {
        if (lc(*a++) != lc(*b++)) {
            return 0;
        }
    }
    return 1;
}

/* A cursor over the labels of a name in a packet, following pointers. */
typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t pos;  /* the current label's length byte */
    size_t end;  /* where the name ends in the packet; 0 until known */
    size_t wl;   /* wire length of the labels so far (final 0 included at the end) */
    unsigned hops;
} cur_t;

/* Moves to the next label (following pointers) and returns its length, 0 at
 * the final 0, or an error. The label's bytes are buf[pos + 1 .. pos + 1 + c). */
static int32_t next_label(cur_t *k) {
    for (;;) {
        size_t pos = k->pos;
        if (pos >= k->len) {
            return MDF_E_TRUNCATED;
        }
        uint8_t c = k->buf[pos];
        if (c < 0x40) {
            if (c == 0) {
                k->wl += 1;
                if (!k->end) {
                    k->end = pos + 1;
                }
                return 0;
            }
            if (pos + 1 + c > k->len) {
                return MDF_E_TRUNCATED;
            }
            k->wl += 1u + c;
            if (k->wl >= MDF_MAX_NAME) {
                /* the final 0 would make it 256 or more */
                return MDF_E_NAME_TOO_LONG;
            }
            return c;
        }
        if (c < 0xC0) {
            return MDF_E_BAD_LABEL_TYPE;  /* 0x40, 0x80: RFC 6891 s5 */
        }
        if (pos + 1 >= k->len) {
            return MDF_E_TRUNCATED;
        }
        size_t ptr = ((size_t)(c & 0x3F) << 8) | k->buf[pos + 1];
        if (ptr >= pos) {
            return MDF_E_BAD_POINTER;  /* only strictly backwards: no forward, self or past-end */
        }
        if (++k->hops > MDF_MAX_HOPS) {
            return MDF_E_TOO_MANY_HOPS;
        }
        if (!k->end) {
            k->end = pos + 2;
        }
        k->pos = ptr;
    }
}

static void cur_init(cur_t *k, const uint8_t *buf, size_t len, size_t off) {
    k->buf = buf;
    k->len = len;
    k->pos = off;
    k->end = 0;
    k->wl = 0;
    k->hops = 0;
}

int32_t mdf_read_name(const uint8_t *buf, size_t len, ptrdiff_t off,
    uint8_t *out, size_t *outlen) {
    cur_t k;
    /* a negative offset reads nothing: it is past the end like any other */
    cur_init(&k, buf, off < 0 ? 0 : len, (size_t)off);
    for (;;) {
        size_t o = k.wl;
        int32_t c = next_label(&k);
        if (c < 0) {
            return c;
        }
        if (out) {
            memcpy(out + o, buf + k.pos, (size_t)c + 1);
        }
        if (c == 0) {
            break;
        }
        k.pos += 1 + (size_t)c;
    }
    if (outlen) {
        *outlen = k.wl;
    }
    return (int32_t)k.end;
}

/* Length of the first wire name in w[0:wlen] (uncompressed: lengths 0..63). */
static int32_t wire_len(const uint8_t *w, size_t wlen) {
    size_t o = 0;
    for (;;) {
        if (o >= wlen) {
            return MDF_E_TRUNCATED;
        }
        uint8_t c = w[o];
        if (c == 0) {
            return (int32_t)o + 1;
        }
        if (c > MDF_MAX_LABEL) {
            return MDF_E_LABEL_TOO_LONG;
        }
        if (o + 1 + c > wlen) {
            return MDF_E_TRUNCATED;
        }
        o += 1u + c;
        if (o >= MDF_MAX_NAME) {
            return MDF_E_NAME_TOO_LONG;
        }
    }
}

int32_t mdf_check_wire(const uint8_t *w, size_t wlen) {
    int32_t n = wire_len(w, wlen);
    if (n >= 0 && (size_t)n != wlen) {
        return MDF_E_TRAILING_DATA;
    }
    return n;
}

int32_t mdf_name_eq(const uint8_t *buf, size_t len, ptrdiff_t off,
    const uint8_t *w, size_t wlen) {
    int32_t e = mdf_check_wire(w, wlen);
    if (e < 0) {
        return e;
    }
    cur_t k;
    cur_init(&k, buf, off < 0 ? 0 : len, (size_t)off);
    int eq = 1;
    for (;;) {
        size_t o = k.wl;
        int32_t c = next_label(&k);
        if (c < 0) {
            return c;
        }
        /* Length bytes are <= 63, below 'A', so folding them changes nothing. */
        if (eq && (k.wl > wlen || !ieq(buf + k.pos, w + o, (size_t)c + 1))) {
            eq = 0;  /* keep going: the whole packet name is checked */
        }
        if (c == 0) {
            return eq;
        }
        k.pos += 1 + (size_t)c;
    }
}

static uint16_t rd16(const uint8_t *p) {
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* The message walk behind mdf_walk (offs, cap) and mdf_match (tab, no cap). */
static int32_t walk(const uint8_t *buf, size_t len, uint16_t *offs, size_t cap,
    const uint8_t *tab, const uint16_t *ts, unsigned nt, uint32_t *mask) {
    if (len < MDF_HEADER) {
        return MDF_E_TRUNCATED;
    }
    if (len > 0xFFFF) {
        return MDF_E_NO_ROOM;  /* offsets are 16 bits; no datagram is this long */
    }
    uint32_t nq = rd16(buf + 4);
    uint32_t total = nq + rd16(buf + 6) + rd16(buf + 8) + rd16(buf + 10);
    if (total > cap) {
        return MDF_E_BAD_COUNTS;
    }
    uint8_t name[MDF_MAX_NAME];
    size_t nl = 0;
    size_t pos = MDF_HEADER;
    for (uint32_t i = 0; i < total; i++) {
        if (pos == len) {
            return MDF_E_BAD_COUNTS;  /* the header promises more than the packet holds */
        }
        if (offs) {
            offs[i] = (uint16_t)pos;
        }
        int32_t e = mdf_read_name(buf, len, (ptrdiff_t)pos, tab ? name : NULL, &nl);
        if (e < 0) {
            return e;
        }
        pos = (size_t)e + (i < nq ? 4 : 10);  /* type class [ttl rdlength] */
        if (pos > len) {
            return MDF_E_TRUNCATED;
        }
        if (i >= nq) {
            pos += rd16(buf + pos - 2);
            if (pos > len) {
                return MDF_E_TRUNCATED;
            }
        }
        for (unsigned j = 0; j < nt; j++) {
            if (nl == (size_t)(ts[j + 1] - ts[j]) && ieq(name, tab + ts[j], nl)) {
                *mask |= (uint32_t)1 << j;
            }
        }
    }
    if (pos != len) {
        return MDF_E_TRAILING_DATA;
    }
    return (int32_t)total;
}

int32_t mdf_walk(const uint8_t *buf, size_t len, uint16_t *offs, size_t cap) {
    return walk(buf, len, offs, cap, NULL, NULL, 0, NULL);
}

int32_t mdf_match(const uint8_t *buf, size_t len,
    const uint8_t *table, size_t tlen, uint32_t *mask) {
    uint16_t ts[MDF_MAX_TABLE + 1];
    unsigned nt = 0;
    size_t t = 0;
    ts[0] = 0;
    while (t < tlen) {
        if (nt == MDF_MAX_TABLE) {
            return MDF_E_BAD_COUNTS;
        }
        int32_t n = wire_len(table + t, tlen - t);
        if (n < 0) {
            return n;
        }
        t += (size_t)n;
        ts[++nt] = (uint16_t)t;
    }
    *mask = 0;
    int32_t e = walk(buf, len, NULL, (size_t)-1, table, ts, nt, mask);
    return e < 0 ? e : 0;
}

/* 1 when the name at buf[p] (already checked) is byte for byte s[0:sl]. */
static int same(const uint8_t *buf, size_t len, size_t p, const uint8_t *s, size_t sl) {
    cur_t k;
    cur_init(&k, buf, len, p);
    for (;;) {
        size_t o = k.wl;
        int32_t c = next_label(&k);
        if (c < 0 || k.wl > sl || memcmp(buf + k.pos, s + o, (size_t)c + 1) != 0) {
            return 0;
        }
        if (c == 0) {
            return 1;
        }
        k.pos += 1 + (size_t)c;
    }
}

int32_t mdf_write_name(uint8_t *buf, size_t cap, ptrdiff_t spos,
    const uint8_t *w, size_t wlen, const uint16_t *starts, size_t nstarts, ptrdiff_t sn) {
    if (sn < 0 || (size_t)sn > nstarts) {
        return MDF_E_BAD_COUNTS;
    }
    size_t n = (size_t)sn;
    size_t pos = (size_t)spos;
    int32_t e = mdf_check_wire(w, wlen);
    if (e < 0) {
        return e;
    }
    if (spos < 0 || pos > cap) {
        return MDF_E_NO_ROOM;
    }
    /* The names already written are read from buf[0:pos] and must be sound. */
    for (size_t i = 0; i < n; i++) {
        e = mdf_read_name(buf, pos, (ptrdiff_t)starts[i], NULL, NULL);
        if (e < 0) {
            return e;
        }
    }
    size_t lit = wlen;  /* bytes written literally */
    size_t ptr = 0;
    /* Suffixes longest first (the root alone is never worth a pointer), then
     * starts in order, then label positions along each start's name. */
    for (size_t s = 0; w[s] && lit == wlen; s += 1u + w[s]) {
        size_t sl = wlen - s;
        for (size_t i = 0; i < n && lit == wlen; i++) {
            cur_t k;
            cur_init(&k, buf, pos, starts[i]);
            size_t total = 0;
            mdf_read_name(buf, pos, (ptrdiff_t)starts[i], NULL, &total);
            for (;;) {
                size_t o = k.wl;
                int32_t c = next_label(&k);
                if (c <= 0) {
                    break;
                }
                /* the name at this label is total - o bytes long */
                if (total - o == sl && k.pos < 0x4000 && same(buf, pos, k.pos, w + s, sl)) {
                    lit = s;
                    ptr = k.pos;
                    break;
                }
                k.pos += 1 + (size_t)c;
            }
        }
    }
    size_t need = lit + (lit == wlen ? 0 : 2);
    if (need > cap - pos) {
        return MDF_E_NO_ROOM;
    }
    memcpy(buf + pos, w, lit);
    if (lit != wlen) {
        buf[pos + lit] = (uint8_t)(0xC0 | (ptr >> 8));
        buf[pos + lit + 1] = (uint8_t)ptr;
    }
    return (int32_t)(pos + need);
}
