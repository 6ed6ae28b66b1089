/* Runs the mdnsfast vectors (tests/vectors/fast_*.txt, through the generated
 * fast_vectors.h) against the C core, plus checks that need C: every buffer
 * is heap-allocated at its exact size so that ASan sees any read past it.
 * Built twice by mk/c.mk: on the host under -fsanitize=address,undefined and
 * for rv32imac under QEMU (exit status via semihosting). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdnsfast.h"

typedef struct {
    const char *id, *where;
    int op;  /* 0 read_name 1 name_eq 2 walk 3 match 4 write_name */
    const uint8_t *buf;
    uint32_t buflen;
    const uint8_t *b2;  /* name or table */
    uint32_t b2len;
    int32_t i1;         /* off, cap or pos */
    int32_t size, n;
    const uint16_t *starts;
    uint32_t nstarts;
    const char *error;  /* NULL: success expected */
    long long e_int;    /* end, count, eq or mask */
    const uint8_t *e_bytes;  /* name or out */
    int32_t e_blen;          /* -1: not checked */
    const uint16_t *e_offs;
    int32_t e_noffs;         /* -1: not checked */
} fast_vec_t;

#include "fast_vectors.h"

static int failures;

static void fail(const fast_vec_t *v, const char *what) {
    printf("FAIL %s %s: %s\n", v->where, v->id, what);
    failures++;
}

/* An exact-size heap copy (at least 1 byte so malloc never returns NULL). */
static uint8_t *dup(const uint8_t *p, size_t n, size_t size) {
    uint8_t *q = malloc(size ? size : 1);
    if (!q) {
        printf("out of memory\n");
        exit(2);
    }
    memset(q, 0, size ? size : 1);
    memcpy(q, p, n);
    return q;
}

static void run(const fast_vec_t *v) {
    uint8_t *buf = dup(v->buf, v->buflen, v->op == 4 ? (size_t)v->size : v->buflen);
    uint8_t *b2 = dup(v->b2, v->b2len, v->b2len);
    uint8_t name[MDF_MAX_NAME];
    size_t nl = 0;
    uint32_t mask = 0;
    uint16_t *offs = NULL;
    uint16_t *starts = NULL;
    long long got = 0;
    int32_t r;
    switch (v->op) {
        case 0:
            r = mdf_read_name(buf, v->buflen, v->i1, name, &nl);
            got = r;
            break;
        case 1:
            r = mdf_name_eq(buf, v->buflen, v->i1, b2, v->b2len);
            got = r;
            break;
        case 2:
            offs = (uint16_t *)dup((const uint8_t *)"", 0, (size_t)v->i1 * 2);
            r = mdf_walk(buf, v->buflen, v->i1 ? offs : NULL, (size_t)v->i1);
            got = r;
            break;
        case 3:
            r = mdf_match(buf, v->buflen, b2, v->b2len, &mask);
            got = mask;
            break;
        default:
            starts = (uint16_t *)dup((const uint8_t *)v->starts, v->nstarts * 2, v->nstarts * 2);
            r = mdf_write_name(buf, (size_t)v->size, v->i1, b2, v->b2len, starts, v->nstarts, v->n);
            got = r;
            break;
    }
    if (v->error) {
        if (r >= 0) {
            fail(v, "succeeded, expected an error");
        } else if (strcmp(mdf_strerror(r), v->error) != 0) {
            printf("  got \"%s\", expected \"%s\"\n", mdf_strerror(r), v->error);
            fail(v, "wrong error");
        }
        if (v->op == 4) {
            uint8_t *orig = dup(v->buf, v->buflen, (size_t)v->size);
            if (memcmp(orig, buf, (size_t)v->size) != 0) {
                fail(v, "buffer changed on error");
            }
            free(orig);
        }
    } else if (r < 0) {
        printf("  error \"%s\"\n", mdf_strerror(r));
        fail(v, "unexpected error");
    } else {
        if (got != v->e_int) {
            printf("  got %lld, expected %lld\n", got, v->e_int);
            fail(v, "wrong result");
        }
        if (v->op == 0 && (nl != (size_t)v->e_blen || memcmp(name, v->e_bytes, nl) != 0)) {
            fail(v, "wrong name");
        }
        if (v->op == 4) {
            uint8_t *want = dup(v->buf, v->buflen, (size_t)v->size);
            memcpy(want, v->e_bytes, (size_t)v->e_blen);
            if (r != v->e_blen || memcmp(want, buf, (size_t)v->size) != 0) {
                fail(v, "wrong bytes written (or bytes changed after the end)");
            }
            free(want);
        }
        if (v->op == 2 && v->e_noffs >= 0 &&
            (r != v->e_noffs || (r && memcmp(offs, v->e_offs, (size_t)r * 2) != 0))) {
            fail(v, "wrong offsets");
        }
    }
    free(buf);
    free(b2);
    free(offs);
    free(starts);
}

/* Checks that do not fit the text format. */
static int extra(void) {
    int n = 0;
    /* 65536 bytes cannot be a datagram and offsets are 16 bits */
    uint8_t *big = calloc(65536, 1);
    uint16_t offs[1];
    uint32_t mask;
    n++;
    if (!big || mdf_walk(big, 65536, offs, 1) != MDF_E_NO_ROOM ||
        mdf_match(big, 65536, NULL, 0, &mask) != MDF_E_NO_ROOM) {
        printf("FAIL extra: 65536-byte walk/match not \"no room\"\n");
        failures++;
    }
    n++;
    if (!big || mdf_walk(big, 65535, offs, 1) != MDF_E_TRAILING_DATA) {
        printf("FAIL extra: 65535-byte walk not \"trailing data\"\n");
        failures++;
    }
    free(big);
    /* every code has its own reason */
    static const char *const reasons[] = {
        "truncated", "label too long", "name too long", "bad label type", "bad pointer",
        "too many pointer hops", "bad counts", "trailing data", "no room",
    };
    for (int i = 0; i < 9; i++) {
        n++;
        if (strcmp(mdf_strerror(-1 - i), reasons[i]) != 0) {
            printf("FAIL extra: mdf_strerror(%d)\n", -1 - i);
            failures++;
        }
    }
    n++;
    if (mdf_strerror(-10)[0] || mdf_strerror(0)[0] || mdf_strerror(5)[0]) {
        printf("FAIL extra: mdf_strerror of a non-error\n");
        failures++;
    }
    return n;
}

int main(void) {
    for (int i = 0; i < FAST_NVECTORS; i++) {
        run(&fast_vectors[i]);
    }
    int n = extra();
    printf("%s: %d vectors + %d extra checks, %d failed\n", TEST_FAST_NAME, FAST_NVECTORS, n, failures);
    return failures ? 1 : 0;
}
