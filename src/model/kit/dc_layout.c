/* The layout builder (dc_layout.h). */
#include "dc_layout.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

dc_layout dc_layout_start(dc_tensor *tensors, int capacity, float *buffer)
{
    return (dc_layout){.tensors = tensors, .capacity = tensors ? capacity : 0, .buffer = buffer};
}

float *dc_layout_add(dc_layout *layout, int64_t rows, int64_t cols, int is_bias,
                     const char *name_format, ...)
{
    const int64_t offset = layout->n_params;
    if (layout->tensors && layout->n_tensors < layout->capacity) {
        dc_tensor *t = &layout->tensors[layout->n_tensors];
        va_list ap;
        va_start(ap, name_format);
        vsnprintf(t->name, sizeof t->name, name_format, ap);
        va_end(ap);
        t->offset = offset;
        t->rows = rows;
        t->cols = cols;
        t->is_bias = is_bias;
    }
    layout->n_tensors++;
    layout->n_params += rows * cols;
    return layout->buffer ? layout->buffer + offset : NULL;
}

int dc_layout_find(const dc_tensor *tensors, int n_tensors, const char *name)
{
    for (int i = 0; i < n_tensors; i++)
        if (strcmp(tensors[i].name, name) == 0) return i;
    return -1;
}
