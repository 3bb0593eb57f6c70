/* Dataset loading speed: writes a 100k-frame extended-XYZ file (rMD17 ethanol frames replicated,
 * or synthetic 9-atom frames when the shared data is absent) and times dc_dataset_read_xyz on it.
 *
 *   bench_xyz [frames] [source.xyz]     (defaults: 100000, $DC_SHARED_DIR/data/rmd17-ethanol/train.xyz)
 *
 * Prints one JSON line: {"frames":..., "atoms":..., "mb":..., "seconds":..., "mb_per_s":...}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/data/dataset.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)*len + 1);
    if (b && fread(b, 1, (size_t)*len, f) != (size_t)*len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

/* A synthetic ethanol-like frame with varying numbers, in ASE's layout. */
static void write_synthetic(FILE *out, int frame)
{
    static const char *sym = "CCOHHHHHH";
    unsigned s = 2463534242u + (unsigned)frame;
    fprintf(out, "9\nLattice=\"50.0 0.0 0.0 0.0 50.0 0.0 0.0 0.0 50.0\" "
                 "Properties=species:S:1:pos:R:3:forces:R:3 config_type=synthetic energy=%.13f pbc=\"F F F\"\n",
            -4209.0 - (double)(frame % 1000) * 1e-3);
    for (int i = 0; i < 9; i++) {
        double v[6];
        for (int k = 0; k < 6; k++) {
            s ^= s << 13, s ^= s >> 17, s ^= s << 5;
            v[k] = (double)(s % 2000000) * 1e-6 - 1.0 + (k < 3 ? (double)i * 0.9 : 0.0);
        }
        fprintf(out, "%c %15.8f %15.8f %15.8f %15.8f %15.8f %15.8f\n", sym[i], v[0], v[1], v[2], v[3], v[4], v[5]);
    }
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 100000;
    char source[4096] = "";
    if (argc > 2) snprintf(source, sizeof source, "%s", argv[2]);
    else if (getenv("DC_SHARED_DIR"))
        snprintf(source, sizeof source, "%s/data/rmd17-ethanol/train.xyz", getenv("DC_SHARED_DIR"));
    else snprintf(source, sizeof source, "../shared/data/rmd17-ethanol/train.xyz");

    char path[256];
    snprintf(path, sizeof path, "/tmp/bench_xyz_%d.xyz", (int)getpid());
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        return 1;
    }
    long len = 0;
    char *text = slurp(source, &len);
    int written = 0, replicated = text != NULL;
    if (text) {
        /* Replicate whole source frames: count its frames first via a read. */
        dc_dataset src = {0};
        dc_error err = {0};
        if (dc_dataset_read_xyz(&src, source, NULL, &err) != DC_OK) {
            fprintf(stderr, "bench_xyz: %s\n", err.message);
            return 1;
        }
        int per_copy = src.n_frames;
        dc_dataset_free(&src);
        while (written + per_copy <= frames) {
            fwrite(text, 1, (size_t)len, out);
            written += per_copy;
        }
        free(text);
    }
    for (; written < frames; written++) write_synthetic(out, written);
    fclose(out);

    struct stat st;
    stat(path, &st);
    double mb = (double)st.st_size / 1e6;
    dc_dataset ds = {0};
    dc_error err = {0};
    double t0 = now();
    int rc = dc_dataset_read_xyz(&ds, path, NULL, &err);
    double t = now() - t0;
    unlink(path);
    if (rc != DC_OK) {
        fprintf(stderr, "bench_xyz: %s\n", err.message);
        return 1;
    }
    printf("{\"frames\":%d,\"atoms\":%lld,\"mb\":%.1f,\"seconds\":%.3f,\"mb_per_s\":%.1f,\"source\":\"%s\"}\n",
           ds.n_frames, (long long)ds.n_atoms_total, mb, t, mb / t, replicated ? source : "synthetic");
    dc_dataset_free(&ds);
    return 0;
}
