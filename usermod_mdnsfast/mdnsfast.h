/* mdnsfast: the mDNS packet hot path in plain C99 (no MicroPython include).
 *
 * Works on the caller's buffers and allocates nothing. A "wire name" is the
 * uncompressed form: length-prefixed labels and a final 0 byte. Every function
 * returns a negative MDF_E_* code on malformed input (mdf_strerror gives the
 * reason string of docs/design.md); it never reads outside the given buffers
 * and always terminates (compression pointers go strictly backwards, at most
 * MDF_MAX_HOPS of them per name). Offsets are signed so that the bindings pass
 * Python ints through unchanged: a negative offset is an error like a large one.
 */
#ifndef MDNSFAST_H
#define MDNSFAST_H

#include <stddef.h>
#include <stdint.h>

#define MDF_MAX_LABEL 63   /* RFC 1035 s2.3.4 */
#define MDF_MAX_NAME 255   /* wire length including the final 0 */
#define MDF_MAX_HOPS 16    /* compression pointers followed per name */
#define MDF_MAX_TABLE 32   /* names in a match() table: one bit each */
#define MDF_HEADER 12

#define MDF_E_TRUNCATED (-1)
#define MDF_E_LABEL_TOO_LONG (-2)
#define MDF_E_NAME_TOO_LONG (-3)
#define MDF_E_BAD_LABEL_TYPE (-4)
#define MDF_E_BAD_POINTER (-5)
#define MDF_E_TOO_MANY_HOPS (-6)
#define MDF_E_BAD_COUNTS (-7)
#define MDF_E_TRAILING_DATA (-8)
#define MDF_E_NO_ROOM (-9)

/* Reason string of an error code ("truncated", ...); "" for 0 or unknown. */
const char *mdf_strerror(int32_t code);

/* Reads the (possibly compressed) name at buf[off]. Writes its wire form to
 * out (room for MDF_MAX_NAME bytes; NULL to only check it) and its length to
 * *outlen (may be NULL). Returns where the name ends in the packet (after the
 * first pointer or the final 0), or an error. */
int32_t mdf_read_name(const uint8_t *buf, size_t len, ptrdiff_t off,
    uint8_t *out, size_t *outlen);

/* Checks that w[0:wlen] is exactly one wire name; returns its length or an error. */
int32_t mdf_check_wire(const uint8_t *w, size_t wlen);

/* 1 when the name at buf[off] equals the wire name w (ASCII case-insensitive),
 * 0 when not, or an error (w is checked first, then the whole packet name). */
int32_t mdf_name_eq(const uint8_t *buf, size_t len, ptrdiff_t off,
    const uint8_t *w, size_t wlen);

/* Checks a whole message and writes the start offset of each question, then
 * each record, to offs (cap entries). Returns that count or an error. */
int32_t mdf_walk(const uint8_t *buf, size_t len, uint16_t *offs, size_t cap);

/* Sets bit i of *mask when table name i (table: up to MDF_MAX_TABLE wire
 * names, concatenated) equals a question name or a record owner name.
 * Checks the whole message like mdf_walk. Returns 0 or an error. */
int32_t mdf_match(const uint8_t *buf, size_t len,
    const uint8_t *table, size_t tlen, uint32_t *mask);

/* Writes the wire name w into buf[pos:cap] compressed against the names at
 * starts[0:n] (nstarts entries exist; rule in docs/design.md). Returns the
 * new end or an error; nothing is written on error. */
int32_t mdf_write_name(uint8_t *buf, size_t cap, ptrdiff_t pos,
    const uint8_t *w, size_t wlen, const uint16_t *starts, size_t nstarts, ptrdiff_t n);

#endif
