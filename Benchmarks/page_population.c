/* Maps a fresh array of the attribution's logits on S_5 (120^3 doubles, 13.8 MB) the way
 * irrepscope_prefault does (MADV_POPULATE_WRITE, with or without MADV_HUGEPAGE), ROUNDS times,
 * and prints each population's time: docs/attribution.md §10. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    const size_t bytes = (size_t)120 * 120 * 120 * 8, align = (size_t)2 << 20;
    const int rounds = argc > 1 ? atoi(argv[1]) : 5;
    for (int huge = 1; huge >= 0; huge--) {
        printf("%s pages:", huge ? "2 MiB" : "4 KiB");
        for (int r = 0; r < rounds; r++) {
            char *p = mmap(NULL, bytes + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) { perror("mmap"); return 1; }
            char *q = (char *)(((size_t)p + align - 1) & ~(align - 1));
            double t0 = now();
            if (huge) madvise(q, bytes, MADV_HUGEPAGE);
            madvise(q, bytes, 23 /* MADV_POPULATE_WRITE */);
            printf(" %.2f", (now() - t0) * 1e3);
            munmap(p, bytes + align);
        }
        printf(" ms\n");
    }
    return 0;
}
