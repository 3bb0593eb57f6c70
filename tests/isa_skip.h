/* Which instruction-set builds of a kernel file (tests/kernels_isa.h) a per-ISA test can run on
 * this CPU. A build the CPU cannot run is reported and left out; a test left with nothing to
 * compare skips (77) with the reason instead of passing on nothing. DC_TEST_PRETEND_NO_ISA (a
 * comma-separated list of ISA names, used only by tests/isa_skip.sh) makes ISAs count as absent,
 * so that the skip paths are tested on a CPU that has every ISA. */
#ifndef DCSWEEP_TESTS_ISA_SKIP_H
#define DCSWEEP_TESTS_ISA_SKIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISA_PRETEND_ENV "DC_TEST_PRETEND_NO_ISA"

/* Whether the comma-separated list holds name as one whole item. */
static inline int isa_list_has(const char *list, const char *name)
{
    const size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const size_t item = strcspn(p, ",");
        if (item == len && strncmp(p, name, len) == 0) return 1;
        p += item + (p[item] == ',');
    }
    return 0;
}

/* 1 when every item of DC_TEST_PRETEND_NO_ISA is one of the n names (a typo would otherwise
 * pretend nothing and the skip test would pass on the real CPU); else prints the item and 0. */
static inline int isa_pretend_names_known(const char *const *names, int n)
{
    const char *list = getenv(ISA_PRETEND_ENV);
    for (const char *p = list ? list : ""; *p;) {
        const size_t item = strcspn(p, ",");
        int known = 0;
        for (int k = 0; k < n; k++)
            known |= strlen(names[k]) == item && strncmp(p, names[k], item) == 0;
        if (!known) {
            fprintf(stderr, "%s: unknown ISA \"%.*s\" (known:", ISA_PRETEND_ENV, (int)item, p);
            for (int k = 0; k < n; k++) fprintf(stderr, " %s", names[k]);
            fprintf(stderr, ")\n");
            return 0;
        }
        p += item + (p[item] == ',');
    }
    return 1;
}

/* Whether the build for isa can run here. cpu_has is __builtin_cpu_supports' answer (it takes
 * only string literals, so the caller asks); when it cannot run, one line says so. */
static inline int isa_usable(const char *isa, int cpu_has)
{
    const char *pretend = getenv(ISA_PRETEND_ENV);
    if (pretend && isa_list_has(pretend, isa)) {
        printf("%s: not supported by this CPU (%s), skipped\n", isa, ISA_PRETEND_ENV);
        return 0;
    }
    if (!cpu_has) printf("%s: not supported by this CPU, skipped\n", isa);
    return cpu_has;
}

#endif
