/* A family's parameter layout and its typed views: every tensor is a slice of the one flat float
 * parameter buffer (what Adam, MPI allreduce and the results file see), in a fixed order.
 *
 * A family writes its order down once, as a describe function that appends its tensors with
 * dc_layout_add and stores what each call returns in the family's view struct (a struct of
 * float * named by role, llm.c's ParameterTensors). Run over tensor storage it builds the layout
 * (names, offsets, shapes); run over a buffer (parameters or a gradient) it points the views into
 * that buffer. One function, so the views and the layout cannot disagree. */
#ifndef DC_KIT_LAYOUT_H
#define DC_KIT_LAYOUT_H

#include <stdint.h>

#include "dcsweep/config/run.h" /* dc_tensor */

typedef struct dc_layout {
    dc_tensor *tensors; /* [capacity] filled in buffer order; NULL: views only */
    int capacity;
    int n_tensors;      /* appended so far (may pass capacity: then nothing more is recorded) */
    int64_t n_params;   /* floats so far: the next tensor's offset */
    float *buffer;      /* [n_params] what the views point into; NULL: layout only */
} dc_layout;

/* An empty layout over tensor storage [capacity] (may be NULL) and a buffer (may be NULL). */
dc_layout dc_layout_start(dc_tensor *tensors, int capacity, float *buffer);

/* Appends a rows x cols tensor (a bias is (out, 1)), named by the printf format (formatted only
 * when the layout records tensors); returns its view buffer + offset, NULL without a buffer. */
float *dc_layout_add(dc_layout *layout, int64_t rows, int64_t cols, int is_bias,
                     const char *name_format, ...) __attribute__((format(printf, 5, 6)));

/* Whether every tensor appended fitted the storage. */
static inline int dc_layout_fits(const dc_layout *layout)
{
    return layout->n_tensors <= layout->capacity;
}

/* Index of the tensor called name in tensors [n_tensors], or -1. */
int dc_layout_find(const dc_tensor *tensors, int n_tensors, const char *name);

#endif
