/* DimeNet++'s parameters in the one flat double buffer: PyG's state_dict order, names and shapes
 * (DIMENET.md, "Blocks"; the golden file's param_names), PyG's initialisation, and the constants
 * of the spherical basis. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/rng.h"
#include "dcsweep/model/dimenet.h"

/* The random stream of a seed that initial weights come from (as SchNet's: the batch order uses
 * another). */
#define DC_DIMENET_INIT_STREAM 1

static const double PI = 3.14159265358979323846;

dc_dimenet_shape dc_dimenet_shape_default(void)
{
    return (dc_dimenet_shape){.hidden = 128, .out_emb = 256, .int_emb = 64, .basis_emb = 8,
                              .num_spherical = 7, .num_radial = 6, .cutoff = 5.0,
                              .envelope_exponent = 5, .num_blocks = 4, .num_before_skip = 1,
                              .num_after_skip = 2, .num_output_layers = 3};
}

/* Appends a tensor (rows x cols; cols 0: one-dimensional) when the layout has storage, and
 * counts it either way. */
static void add(dc_dimenet_layout *L, int64_t rows, int64_t cols, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(dc_dimenet_layout *L, int64_t rows, int64_t cols, const char *fmt, ...)
{
    if (L->tensors) {
        dc_dimenet_tensor *t = &L->tensors[L->n_tensors];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->name, sizeof t->name, fmt, ap);
        va_end(ap);
        t->offset = L->n_params;
        t->ndim = cols ? 2 : 1;
        t->dims[0] = rows;
        t->dims[1] = cols ? cols : 1;
    }
    L->n_tensors++;
    L->n_params += rows * (cols ? cols : 1);
}

/* The state_dict order: the one place it is written. */
static void describe(dc_dimenet_layout *L)
{
    const dc_dimenet_shape *s = &L->shape;
    const int64_t H = s->hidden, O = s->out_emb, I = s->int_emb, Bm = s->basis_emb,
                  R = s->num_radial, SR = (int64_t)s->num_spherical * s->num_radial;
    add(L, R, 0, "rbf.freq");
    add(L, DC_DIMENET_EMBED_ROWS, H, "emb.emb.weight");
    add(L, H, R, "emb.lin_rbf.weight");
    add(L, H, 0, "emb.lin_rbf.bias");
    add(L, H, 3 * H, "emb.lin.weight");
    add(L, H, 0, "emb.lin.bias");
    for (int b = 0; b <= s->num_blocks; b++) {
        add(L, H, R, "output_blocks.%d.lin_rbf.weight", b);
        add(L, O, H, "output_blocks.%d.lin_up.weight", b);
        for (int q = 0; q < s->num_output_layers; q++) {
            add(L, O, O, "output_blocks.%d.lins.%d.weight", b, q);
            add(L, O, 0, "output_blocks.%d.lins.%d.bias", b, q);
        }
        add(L, 1, O, "output_blocks.%d.lin.weight", b);
    }
    for (int b = 0; b < s->num_blocks; b++) {
        add(L, Bm, R, "interaction_blocks.%d.lin_rbf1.weight", b);
        add(L, H, Bm, "interaction_blocks.%d.lin_rbf2.weight", b);
        add(L, Bm, SR, "interaction_blocks.%d.lin_sbf1.weight", b);
        add(L, I, Bm, "interaction_blocks.%d.lin_sbf2.weight", b);
        add(L, H, H, "interaction_blocks.%d.lin_kj.weight", b);
        add(L, H, 0, "interaction_blocks.%d.lin_kj.bias", b);
        add(L, H, H, "interaction_blocks.%d.lin_ji.weight", b);
        add(L, H, 0, "interaction_blocks.%d.lin_ji.bias", b);
        add(L, I, H, "interaction_blocks.%d.lin_down.weight", b);
        add(L, H, I, "interaction_blocks.%d.lin_up.weight", b);
        for (int q = 0; q < s->num_before_skip; q++)
            for (int k = 1; k <= 2; k++) {
                add(L, H, H, "interaction_blocks.%d.layers_before_skip.%d.lin%d.weight", b, q, k);
                add(L, H, 0, "interaction_blocks.%d.layers_before_skip.%d.lin%d.bias", b, q, k);
            }
        add(L, H, H, "interaction_blocks.%d.lin.weight", b);
        add(L, H, 0, "interaction_blocks.%d.lin.bias", b);
        for (int q = 0; q < s->num_after_skip; q++)
            for (int k = 1; k <= 2; k++) {
                add(L, H, H, "interaction_blocks.%d.layers_after_skip.%d.lin%d.weight", b, q, k);
                add(L, H, 0, "interaction_blocks.%d.layers_after_skip.%d.lin%d.bias", b, q, k);
            }
    }
}

int dc_dimenet_layout_init(dc_dimenet_layout *layout, const dc_dimenet_shape *shape,
                           dc_error *err)
{
    int rc = DC_OK;
    memset(layout, 0, sizeof *layout);
    const dc_dimenet_shape *s = shape;
    if (s->hidden < 1 || s->out_emb < 1 || s->int_emb < 1 || s->basis_emb < 1 ||
        s->num_spherical < 2 || s->num_spherical > 16 || s->num_radial < 1 ||
        s->num_radial > 64 || s->envelope_exponent < 1 || s->num_blocks < 1 ||
        s->num_blocks > 16 || s->num_before_skip < 0 || s->num_after_skip < 0 ||
        s->num_output_layers < 0 || !(s->cutoff > 0.0) || !isfinite(s->cutoff))
        DC_FAIL(DC_ERR_INPUT,
                "DimeNet++ shape out of range: hidden %d, out_emb %d, int_emb %d, basis_emb %d "
                "(>= 1), num_spherical %d (2..16), num_radial %d (1..64), envelope exponent %d "
                "(>= 1), blocks %d (1..16), cutoff %g (> 0)",
                s->hidden, s->out_emb, s->int_emb, s->basis_emb, s->num_spherical, s->num_radial,
                s->envelope_exponent, s->num_blocks, s->cutoff);
    layout->shape = *shape;
    describe(layout); /* counts */
    const int n = layout->n_tensors;
    DC_ALLOC(layout->tensors, n);
    layout->n_tensors = 0;
    layout->n_params = 0;
    describe(layout);
cleanup:
    return rc;
}

void dc_dimenet_layout_free(dc_dimenet_layout *layout)
{
    free(layout->tensors);
    memset(layout, 0, sizeof *layout);
}

int dc_dimenet_layout_find(const dc_dimenet_layout *layout, const char *name)
{
    for (int i = 0; i < layout->n_tensors; i++)
        if (strcmp(layout->tensors[i].name, name) == 0) return i;
    return -1;
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* glorot_orthogonal(W [out][in], scale 2): a (semi-)orthogonal Q from a Gaussian matrix (torch's
 * orthogonal_: QR of the tall orientation, signs fixed by R's diagonal, which Gram-Schmidt gives
 * positive), rescaled so that the unbiased sample variance of W is 2 / (in + out). */
static void glorot_orthogonal(dc_rng *rng, int64_t out, int64_t in, double *w, double *tall)
{
    const int flip = out < in;
    const int64_t m = flip ? in : out, n = flip ? out : in; /* tall [n columns][m], m >= n */
    for (int64_t r = 0; r < out; r++)
        for (int64_t c = 0; c < in; c++) {
            const double v = dc_rng_normal(rng);
            if (flip) tall[r * m + c] = v;   /* column r of the (in x out) transpose */
            else tall[c * m + r] = v;        /* column c of W */
        }
    for (int64_t j = 0; j < n; j++) {
        double *q = tall + j * m;
        for (int pass = 0; pass < 2; pass++) /* twice: Gram-Schmidt's orthogonality in double */
            for (int64_t p = 0; p < j; p++) {
                const double *e = tall + p * m;
                double dot = 0.0;
                for (int64_t i = 0; i < m; i++) dot += e[i] * q[i];
                for (int64_t i = 0; i < m; i++) q[i] -= dot * e[i];
            }
        double nrm = 0.0;
        for (int64_t i = 0; i < m; i++) nrm += q[i] * q[i];
        nrm = sqrt(nrm);
        for (int64_t i = 0; i < m; i++) q[i] /= nrm;
    }
    for (int64_t r = 0; r < out; r++)
        for (int64_t c = 0; c < in; c++) w[r * in + c] = flip ? tall[r * m + c] : tall[c * m + r];
    const int64_t size = out * in;
    double mean = 0.0, var = 0.0;
    for (int64_t k = 0; k < size; k++) mean += w[k];
    mean /= (double)size;
    for (int64_t k = 0; k < size; k++) var += (w[k] - mean) * (w[k] - mean);
    var = size > 1 ? var / (double)(size - 1) : 1.0;
    const double f = var > 0.0 ? sqrt(2.0 / ((double)(in + out) * var)) : 1.0;
    for (int64_t k = 0; k < size; k++) w[k] *= f;
}

int dc_dimenet_init_params(const dc_dimenet_layout *layout, uint64_t seed, double *params,
                           dc_error *err)
{
    int rc = DC_OK;
    double *tall = NULL; /* the largest weight, for glorot_orthogonal */
    int64_t most = 1;
    for (int i = 0; i < layout->n_tensors; i++)
        if (dc_dimenet_tensor_size(&layout->tensors[i]) > most)
            most = dc_dimenet_tensor_size(&layout->tensors[i]);
    DC_ALLOC(tall, most);
    dc_rng rng;
    dc_rng_seed(&rng, seed, DC_DIMENET_INIT_STREAM);
    for (int i = 0; i < layout->n_tensors; i++) {
        const dc_dimenet_tensor *t = &layout->tensors[i];
        double *p = params + t->offset;
        const int64_t n = dc_dimenet_tensor_size(t);
        if (strcmp(t->name, "rbf.freq") == 0) {
            for (int64_t k = 0; k < n; k++) p[k] = (double)(k + 1) * PI;
        } else if (strcmp(t->name, "emb.emb.weight") == 0) {
            for (int64_t k = 0; k < n; k++) p[k] = sqrt(3.0) * (2.0 * dc_rng_uniform(&rng) - 1.0);
        } else if (strncmp(t->name, "emb.", 4) == 0) {
            /* PyTorch's default Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias too */
            const char *w = strstr(t->name, "lin.") ? "emb.lin.weight" : "emb.lin_rbf.weight";
            const int wi = dc_dimenet_layout_find(layout, w);
            const double a = 1.0 / sqrt((double)layout->tensors[wi].dims[1]);
            for (int64_t k = 0; k < n; k++) p[k] = a * (2.0 * dc_rng_uniform(&rng) - 1.0);
        } else if (t->ndim == 1) {
            for (int64_t k = 0; k < n; k++) p[k] = 0.0;
        } else if (strncmp(t->name, "output_blocks.", 14) == 0 && ends_with(t->name, ".lin.weight")) {
            for (int64_t k = 0; k < n; k++) p[k] = 0.0; /* output_initializer "zeros" */
        } else {
            glorot_orthogonal(&rng, t->dims[0], t->dims[1], p, tall);
        }
    }
cleanup:
    free(tall);
    return rc;
}

/* ---- the spherical basis' constants ---- */

/* j_l(y) by the closed form's recurrence (as PyG's sympy expressions). */
static double sph_jn(int l, double y)
{
    const double j0 = sin(y) / y;
    if (l == 0) return j0;
    double a = j0, b = sin(y) / (y * y) - cos(y) / y;
    for (int k = 1; k < l; k++) {
        const double c = (2 * k + 1) / y * b - a;
        a = b, b = c;
    }
    return b;
}

static double bisect(int l, double lo, double hi)
{
    double flo = sph_jn(l, lo);
    for (int it = 0; it < 200; it++) {
        const double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        const double fm = sph_jn(l, mid);
        if (fm == 0.0) return mid;
        if ((fm < 0) == (flo < 0)) lo = mid, flo = fm;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

void dc_dimenet_bessel_constants(int S, int R, double *z, double *N)
{
    const int n = R + S; /* zeros of order l lie between consecutive zeros of order l - 1 */
    double pts[96], roots[96];
    for (int q = 0; q < n - 1; q++) pts[q] = (q + 1) * PI;
    for (int r = 0; r < R; r++) z[r] = (double)(float)((r + 1) * PI);
    for (int l = 1; l < S; l++) {
        const int m = n - 1 - l;
        for (int q = 0; q < m; q++) roots[q] = (double)(float)bisect(l, pts[q], pts[q + 1]);
        for (int r = 0; r < R; r++) z[l * R + r] = roots[r];
        memcpy(pts, roots, (size_t)m * sizeof *pts);
    }
    for (int l = 0; l < S; l++)
        for (int r = 0; r < R; r++) {
            const double j = sph_jn(l + 1, z[l * R + r]);
            N[l * R + r] = 1.0 / sqrt(0.5 * j * j);
        }
}
