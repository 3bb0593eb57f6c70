/* The registry of model families (include/dcsweep/model/model.h). */
#include "dcsweep/model/model.h"

#include <string.h>

#include "dc_layout.h"
#include "dcsweep/model/diffsorp.h"
#include "dcsweep/model/dimenet.h"
#include "dcsweep/model/pinn.h"
#include "dcsweep/model/schnet.h"

static const dc_model_ops *const families[] = {&dc_schnet_model_ops, &dc_pinn_model_ops,
                                               &dc_diffsorp_model_ops, &dc_dimenet_model_ops};

static const dc_family *const family_keys[] = {&dc_schnet_family, &dc_pinn_family, &dc_diffsorp_family,
                                              &dc_dimenet_family, NULL};

const dc_family *const *dc_model_families(void) { return family_keys; }

const dc_model_ops *dc_model_find(const char *kind)
{
    if (!kind || !*kind) kind = families[0]->kind;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strcmp(families[i]->kind, kind) == 0) return families[i];
    return NULL;
}

int dc_model_tensor_find(const dc_model_info *info, const char *name)
{
    return dc_layout_find(info->tensors, info->n_tensors, name);
}
