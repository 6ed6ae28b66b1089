/* make bench-c: packets per second for the C core's message walk, and for walk
 * + match (the hot-path drop test) over a corpus of packets, native build.
 * Usage: bench_fast FILE.hex...   (one packet per line in hex; '#' lines skipped) */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mdnsfast.h"

#define MAXP 4096
#define MAXLEN 9000

static uint8_t *pk[MAXP];
static size_t pl[MAXP];
static int np;

static int hexval(int c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    static char line[2 * MAXLEN + 8];
    while (fgets(line, sizeof line, f) && np < MAXP) {
        if (line[0] == '#') {
            continue;
        }
        uint8_t *p = malloc(MAXLEN);
        size_t n = 0;
        for (char *c = line; hexval(c[0]) >= 0 && hexval(c[1]) >= 0 && n < MAXLEN; c += 2) {
            p[n++] = (uint8_t)(hexval(c[0]) << 4 | hexval(c[1]));
        }
        if (n == 0) {
            free(p);
            continue;
        }
        pk[np] = p;
        pl[np++] = n;
    }
    fclose(f);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* the names a device answers for: hostname, service type, instance, reverse name */
static size_t wire(uint8_t *out, const char *dotted) {
    size_t o = 0;
    while (*dotted) {
        const char *dot = strchr(dotted, '.');
        size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
        out[o++] = (uint8_t)l;
        memcpy(out + o, dotted, l);
        o += l;
        dotted += l + (dot ? 1 : 0);
    }
    out[o++] = 0;
    return o;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        load(argv[i]);
    }
    if (np == 0) {
        fprintf(stderr, "bench-c: no packets in the corpus files\n");
        return 2;
    }
    uint8_t table[1024];
    size_t tl = 0;
    tl += wire(table + tl, "esp32-cam.local");
    tl += wire(table + tl, "_http._tcp.local");
    tl += wire(table + tl, "Kitchen Cam._http._tcp.local");
    tl += wire(table + tl, "7.1.168.192.in-addr.arpa");
    size_t bytes = 0;
    int bad = 0, hits = 0;
    static uint16_t offs[4096];
    for (int i = 0; i < np; i++) {
        bytes += pl[i];
        uint32_t m = 0;
        if (mdf_walk(pk[i], pl[i], offs, 4096) < 0 || mdf_match(pk[i], pl[i], table, tl, &m) < 0) {
            bad++;
        }
        hits += m != 0;
    }
    for (int mode = 0; mode < 2; mode++) {
        long long n = 0;
        volatile uint32_t sink = 0;
        double t0 = now(), t;
        do {
            for (int r = 0; r < 64; r++) {
                for (int i = 0; i < np; i++) {
                    uint32_t m = 0;
                    if (mode == 0) {
                        sink += (uint32_t)mdf_walk(pk[i], pl[i], offs, 4096);
                    } else {
                        sink += (uint32_t)mdf_walk(pk[i], pl[i], offs, 4096);
                        mdf_match(pk[i], pl[i], table, tl, &m);
                        sink += m;
                    }
                }
                n += np;
            }
            t = now() - t0;
        } while (t < 1.0);
        printf("bench-c: %-12s %10.0f packets/s  (%d packets, mean %zu bytes, %d malformed, %d concern us)\n",
            mode ? "walk+match" : "walk", (double)n / t, np, bytes / (size_t)np, bad, hits);
    }
    return 0;
}
