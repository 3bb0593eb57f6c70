/* The kit's layout builder (src/model/kit/dc_layout.h): one description run twice, over tensor
 * storage and over a buffer, gives a contiguous layout in call order (names formatted, shapes,
 * bias flags) and views at exactly the tensors' offsets; find; a layout past its storage counts
 * on but records nothing and says so. */
#include <stdint.h>

#include "check.h"
#include "dc_layout.h"

typedef struct toy_params {
    float *w[3]; /* [4][k + 2] layer%d/weight */
    float *b[3]; /* [4] layer%d/bias */
    float *out;  /* [1][4] */
} toy_params;

static void describe(dc_layout *L, int depth, toy_params *v)
{
    for (int k = 0; k < depth; k++) {
        v->w[k] = dc_layout_add(L, 4, k + 2, 0, "layer%d/weight", k);
        v->b[k] = dc_layout_add(L, 4, 1, 1, "layer%d/bias", k);
    }
    v->out = dc_layout_add(L, 1, 4, 0, "out");
}

int main(void)
{
    dc_tensor t[7];
    dc_layout L = dc_layout_start(t, 7, NULL);
    toy_params none;
    describe(&L, 3, &none);
    CHECK(dc_layout_fits(&L) && L.n_tensors == 7, "%d tensors", L.n_tensors);
    CHECK(L.n_params == 8 + 4 + 12 + 4 + 16 + 4 + 4, "n_params %lld", (long long)L.n_params);
    CHECK(none.w[0] == NULL && none.out == NULL, "views without a buffer");
    int64_t off = 0;
    for (int k = 0; k < 7; k++) {
        CHECK(t[k].offset == off, "%s at %lld, expected %lld", t[k].name, (long long)t[k].offset,
              (long long)off);
        off += t[k].rows * t[k].cols;
    }
    CHECK(strcmp(t[2].name, "layer1/weight") == 0 && t[2].rows == 4 && t[2].cols == 3 &&
              !t[2].is_bias, "tensor 2 is %s", t[2].name);
    CHECK(strcmp(t[5].name, "layer2/bias") == 0 && t[5].is_bias && t[5].cols == 1, "tensor 5 is %s",
          t[5].name);
    CHECK(dc_layout_find(t, 7, "out") == 6 && dc_layout_find(t, 7, "layer1/bias") == 3 &&
              dc_layout_find(t, 7, "layer3/bias") == -1, "find");

    float buffer[52];
    toy_params v;
    dc_layout B = dc_layout_start(NULL, 0, buffer);
    describe(&B, 3, &v);
    CHECK(B.n_params == L.n_params && B.n_tensors == 7, "the view run counts the same");
    float *const views[7] = {v.w[0], v.b[0], v.w[1], v.b[1], v.w[2], v.b[2], v.out};
    for (int k = 0; k < 7; k++)
        CHECK(views[k] == buffer + t[k].offset, "view of %s at %td", t[k].name, views[k] - buffer);

    dc_tensor small[4];
    dc_layout S = dc_layout_start(small, 4, NULL);
    describe(&S, 3, &none);
    CHECK(!dc_layout_fits(&S) && S.n_tensors == 7 && S.n_params == L.n_params,
          "overflow: %d tensors, fits %d", S.n_tensors, dc_layout_fits(&S));
    return check_finish();
}
