/* The potentials' loss and its seeds (dc_loss.h). */
#include "dc_loss.h"

#include <math.h>

static double sign0(double x) { return (double)((x > 0.0) - (x < 0.0)); }

static int ghost_of(const dc_loss_batch *b, int a) { return b->ghost_of ? b->ghost_of[a] : 0; }

void dc_loss_seeds(dc_loss kind, double force_weight, const dc_loss_batch *b, const double *energy,
                   const double *forces, double *w, double *g, double *energy_loss, double *force_loss)
{
    const int G = b->n_ghost, B = b->n_mol - G;
    const int64_t n3 = 3 * (int64_t)(b->n_atoms - G);
    const int l1 = kind == DC_LOSS_L1;
    double le = 0.0, lf = 0.0;
    if (w)
        for (int t = 0; t < G; t++) w[B + t] = 0.0;
    for (int m = 0, a = 0; m < B; m++) {
        double e = energy[m];
        const int first = a;
        if (G > 0)
            for (; a < b->n_atoms - G && b->mol[a] == m; a++) e -= energy[B + ghost_of(b, a)];
        const double r = e - b->energy_target[m];
        le += l1 ? fabs(r) : r * r;
        if (!w) continue;
        w[m] = (l1 ? sign0(r) : 2.0 * r) / (double)B;
        for (int k = first; k < a; k++) w[B + ghost_of(b, k)] -= w[m];
    }
    for (int64_t k = 0; k < n3; k++) {
        const double r = forces[k] - b->force_target[k];
        lf += l1 ? fabs(r) : r * r;
        if (g) g[k] = force_weight * (l1 ? sign0(r) : 2.0 * r) / (double)n3;
    }
    if (g)
        for (int64_t k = n3; k < 3 * (int64_t)b->n_atoms; k++) g[k] = 0.0;
    if (energy_loss) *energy_loss = B > 0 ? le / (double)B : 0.0;
    if (force_loss) *force_loss = n3 > 0 ? lf / (double)n3 : 0.0;
}

void dc_loss_subtract_isolated(const dc_loss_batch *b, double *energy)
{
    const int G = b->n_ghost, B = b->n_mol - G;
    if (G == 0) return;
    for (int a = 0; a < b->n_atoms - G; a++)
        if (b->mol[a] < B) energy[b->mol[a]] -= energy[B + ghost_of(b, a)];
}
