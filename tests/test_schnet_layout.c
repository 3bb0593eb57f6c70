/* The flat parameter layout (names and shapes as the golden file's params/ group) and the
 * initialisation of docs/model.md: a pure function of the seed, Xavier bounds, N(0,1) embedding, zero
 * biases. A changed layout or init stream silently breaks checkpoints and paired comparisons. */
#include <stdint.h>

#include "check.h"
#include "dcsweep/model/schnet.h"

int main(void)
{
    dc_schnet_shape shape = {.n_types = 100, .features = 64, .filters = 32, .interactions = 3,
                             .gaussians = 25, .cutoff = 5.0};
    dc_schnet_layout L;
    dc_error err;
    CHECK(dc_schnet_layout_init(&L, &shape, &err) == DC_OK, "%s", err.message);
    const int64_t F = 64, nf = 32, G = 25, T = 3, H = 32;
    int64_t expect = 100 * F + T * (nf * G + nf + nf * nf + nf + nf * F + F * nf + F + F * F + F) +
                     H * F + H + H + 1;
    CHECK(L.n_params == expect, "n_params %lld, expected %lld", (long long)L.n_params,
          (long long)expect);
    CHECK(L.n_tensors == 1 + 9 * 3 + 4, "n_tensors %d", L.n_tensors);
    int64_t off = 0;
    for (int k = 0; k < L.n_tensors; k++) {
        CHECK(L.tensors[k].offset == off, "%s not contiguous", L.tensors[k].name);
        off += L.tensors[k].rows * L.tensors[k].cols;
        CHECK(dc_schnet_layout_find(&L, L.tensors[k].name) == k, "find %s", L.tensors[k].name);
    }
    CHECK(off == L.n_params, "sizes do not add up");
    const char *order[] = {"embedding",
                           "interaction0/filter1/weight", "interaction0/filter1/bias",
                           "interaction0/filter2/weight", "interaction0/filter2/bias",
                           "interaction0/cfconv_in/weight", "interaction0/cfconv_out/weight",
                           "interaction0/cfconv_out/bias", "interaction0/dense/weight",
                           "interaction0/dense/bias", "interaction1/filter1/weight"};
    for (int k = 0; k < 11; k++)
        CHECK(strcmp(L.tensors[k].name, order[k]) == 0, "tensor %d is %s, expected %s", k,
              L.tensors[k].name, order[k]);
    CHECK(strcmp(L.tensors[L.n_tensors - 1].name, "output/dense2/bias") == 0, "last tensor %s",
          L.tensors[L.n_tensors - 1].name);
    int k1 = dc_schnet_layout_find(&L, "interaction2/filter1/weight");
    CHECK(k1 >= 0 && L.tensors[k1].rows == nf && L.tensors[k1].cols == G,
          "filter1 shape (out, in)");
    int k2 = dc_schnet_layout_find(&L, "output/dense1/weight");
    CHECK(k2 >= 0 && L.tensors[k2].rows == H && L.tensors[k2].cols == F, "dense1 shape");
    int k3 = dc_schnet_layout_find(&L, "interaction1/cfconv_out/bias");
    CHECK(k3 >= 0 && L.tensors[k3].is_bias && L.tensors[k3].rows == F && L.tensors[k3].cols == 1,
          "bias shape (out, 1)");
    CHECK(dc_schnet_layout_find(&L, "interaction3/dense/bias") == -1, "found a tensor beyond T");
    CHECK(dc_schnet_layout_find(&L, "interaction0/cfconv_in/bias") == -1, "cfconv_in has no bias");

    dc_schnet_shape bad = shape;
    bad.interactions = DC_MAX_INTERACTIONS + 1;
    CHECK(dc_schnet_layout_init(&L, &bad, &err) == DC_ERR_INPUT, "too many interactions accepted");
    bad = shape;
    bad.cutoff = 0.0;
    CHECK(dc_schnet_layout_init(&L, &bad, &err) == DC_ERR_INPUT, "zero cutoff accepted");
    dc_schnet_layout_init(&L, &shape, &err);

    size_t n = (size_t)L.n_params;
    float *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b), *c = calloc(n, sizeof *c);
    dc_schnet_init_params(&L, 42, a);
    dc_schnet_init_params(&L, 42, b);
    dc_schnet_init_params(&L, 43, c);
    CHECK(memcmp(a, b, n * sizeof *a) == 0, "same seed, different weights");
    int64_t same = 0;
    for (size_t k = 0; k < n; k++) same += a[k] == c[k] && a[k] != 0.0f;
    CHECK(same < 10, "seeds 42 and 43 share %lld non-zero weights", (long long)same);

    for (int k = 0; k < L.n_tensors; k++) {
        const dc_tensor *t = &L.tensors[k];
        const float *p = a + t->offset;
        int64_t m = t->rows * t->cols;
        if (t->is_bias) {
            int zero = 1;
            for (int64_t q = 0; q < m; q++) zero &= p[q] == 0.0f;
            CHECK(zero, "%s: bias not exactly 0", t->name);
        } else if (k == 0) {
            double s = 0, s2 = 0;
            for (int64_t q = 0; q < m; q++) { s += p[q]; s2 += (double)p[q] * p[q]; }
            double mean = s / m, var = s2 / m - mean * mean;
            CHECK(fabs(mean) < 0.05 && fabs(var - 1.0) < 0.06, "embedding mean %g var %g", mean,
                  var);
        } else {
            /* U(-a, a) has max |x| close to a and variance a^2 / 3. */
            float bound = (float)sqrt(6.0 / (double)(t->rows + t->cols));
            double mx = 0, s2 = 0;
            for (int64_t q = 0; q < m; q++) {
                mx = fmax(mx, fabs(p[q]));
                s2 += (double)p[q] * p[q];
            }
            CHECK(mx <= bound, "%s: |w| %g exceeds Xavier bound %g", t->name, mx, bound);
            if (m >= 200) {
                CHECK(mx > 0.95 * bound, "%s: max |w| %g far below bound %g", t->name, mx, bound);
                double ratio = s2 / m / ((double)bound * bound / 3.0);
                CHECK(fabs(ratio - 1.0) < 0.15, "%s: variance ratio %g", t->name, ratio);
            }
        }
    }
    free(a);
    free(b);
    free(c);
    return check_finish();
}
