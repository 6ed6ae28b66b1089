/* libFuzzer harness for the mdnsfast core (clang -fsanitize=fuzzer,address,undefined).
 * The input is a packet. Besides "no crash, no out-of-bounds read, no hang" it
 * checks properties that tie the functions together:
 *  - a name read_name returns is a valid wire name and name_eq finds it again,
 *    also in upper case, and it ends inside the packet;
 *  - walk and match agree (same error); every question name and record owner
 *    name put in the match table sets its bit;
 *  - write_name, with starts like a packet builder keeps them, writes names that
 *    read_name reads back identically, never past the buffer, and changes
 *    nothing on error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mdnsfast.h"

#define MAXQ 64
#define MAXN 16
#define CAP 4096

static void check(int ok) {
    if (!ok) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size copy, so ASan sees a read one past the end */
    uint8_t *pkt = malloc(size ? size : 1);
    memcpy(pkt, data, size);

    uint16_t offs[MAXQ];
    int32_t count = mdf_walk(pkt, size, offs, MAXQ);
    check(count < 0 || count <= MAXQ);

    /* names: at each walked offset, and at a few offsets chosen by the data */
    static uint8_t names[MAXN][MDF_MAX_NAME];
    size_t nlen[MAXN];
    int nn = 0;
    uint8_t table[MAXN * MDF_MAX_NAME];
    size_t tlen = 0;
    int walked = 0;
    for (int i = 0; i < MAXN + 4 && nn < MAXN; i++) {
        ptrdiff_t off;
        if (count > 0 && i < count) {
            off = offs[i];
            walked++;
        } else {
            off = size ? (ptrdiff_t)((data[i % size] * 7u + (unsigned)i * 13u) % (size + 2)) : 0;
        }
        size_t n = 0;
        int32_t end = mdf_read_name(pkt, size, off, names[nn], &n);
        if (end < 0) {
            check(!(count > 0 && i < count));  /* walk checked these names */
            continue;
        }
        check((size_t)end <= size && (size_t)end > (size_t)off && n >= 1 && n <= MDF_MAX_NAME);
        check(mdf_check_wire(names[nn], n) == (int32_t)n);
        check(mdf_name_eq(pkt, size, off, names[nn], n) == 1);
        uint8_t up[MDF_MAX_NAME];
        for (size_t j = 0; j < n; j++) {
            up[j] = (uint8_t)(names[nn][j] >= 'a' && names[nn][j] <= 'z' ? names[nn][j] - 32 : names[nn][j]);
        }
        check(mdf_name_eq(pkt, size, off, up, n) == 1);
        nlen[nn] = n;
        nn++;
    }

    /* match: the walked names are in the table in order, so bit j must be set */
    uint32_t mask = 0;
    for (int j = 0; j < nn && j < MDF_MAX_TABLE; j++) {
        memcpy(table + tlen, names[j], nlen[j]);
        tlen += nlen[j];
    }
    int32_t m = mdf_match(pkt, size, table, tlen, &mask);
    /* the same walk: the same verdict, except that walk also had a capacity to respect */
    check(count == MDF_E_BAD_COUNTS || (count >= 0 ? m == 0 : m == count));
    if (m == 0 && count >= 0) {
        int lim = walked < MDF_MAX_TABLE ? walked : MDF_MAX_TABLE;
        for (int j = 0; j < lim; j++) {
            check(mask & ((uint32_t)1 << j));
        }
    }
    /* the raw input as a table, too (mostly errors; never a crash) */
    mdf_match(pkt, size, pkt, size < 600 ? size : 600, &mask);

    /* write_name: build a packet of the names read, compressed */
    uint8_t *buf = malloc(CAP);
    uint8_t *copy = malloc(CAP);
    size_t cap = 12 + (size % 512) + 64;  /* sometimes too small: "no room" */
    memset(buf, 0xEE, CAP);
    memset(buf, 0, 12);
    uint16_t starts[MAXN];
    size_t ns = 0;
    size_t pos = 12;
    for (int j = 0; j < nn; j++) {
        memcpy(copy, buf, CAP);
        int32_t end = mdf_write_name(buf, cap, (ptrdiff_t)pos, names[j], nlen[j], starts, MAXN, (ptrdiff_t)ns);
        if (end < 0) {
            check(end == MDF_E_NO_ROOM);
            check(memcmp(copy, buf, CAP) == 0);
            break;
        }
        check((size_t)end <= cap && (size_t)end > pos && (size_t)end <= pos + nlen[j]);
        check(memcmp(copy + end, buf + end, CAP - (size_t)end) == 0);
        uint8_t back[MDF_MAX_NAME];
        size_t bl = 0;
        check(mdf_read_name(buf, (size_t)end, (ptrdiff_t)pos, back, &bl) == end);
        check(bl == nlen[j] && memcmp(back, names[j], bl) == 0);
        starts[ns++] = (uint16_t)pos;
        pos = (size_t)end;
    }
    /* the input's own tail as a wire name, against its walked offsets as starts */
    if (size > 12 && size < CAP && count > 0) {
        memset(buf, 0, CAP);
        memcpy(buf, pkt, size);
        mdf_write_name(buf, CAP, (ptrdiff_t)size, pkt + size / 2, size - size / 2, offs, (size_t)count,
            (ptrdiff_t)count);
    }
    free(buf);
    free(copy);
    free(pkt);
    return 0;
}
