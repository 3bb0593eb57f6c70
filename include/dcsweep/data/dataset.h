/* Datasets: extended-XYZ reading (as ASE writes it), element types, splits and neighbour lists.
 *
 * Positions, forces and energies are kept in double precision as read; the trainer converts what
 * it needs. Errors name the file and line ("data/x.xyz:1234: frame 137: non-finite force"). */
#ifndef DCSWEEP_DATASET_H
#define DCSWEEP_DATASET_H

#include <stdint.h>

#include "dcsweep/core/error.h"

#define DC_MAX_ELEMENTS 16

typedef struct dc_xyz_options {
    const char *energy_key;  /* comment-line key of the energy, default "energy" when NULL */
    const char *forces_key;  /* Properties= column name of forces, default "forces" when NULL */
    int labels_optional;     /* frames without energy or forces are read (NaN labels): structures
                              * to predict, not training data */
} dc_xyz_options;

typedef struct dc_dataset {
    char *path;              /* file it came from (for messages) */
    int n_frames;
    int64_t n_atoms_total;
    int64_t *frame_start;    /* [n_frames + 1] index of each frame's first atom */
    int64_t *frame_line;     /* [n_frames] 1-based line of each frame's atom-count line */
    uint8_t *atomic_number;  /* [n_atoms_total] Z of each atom */
    int *types;              /* [n_atoms_total] type index into elements (after dc_dataset_assign_types) */
    double *positions;       /* [n_atoms_total][3] length unit of the file (Angstrom) */
    double *forces;          /* [n_atoms_total][3] energy/length */
    double *energy;          /* [n_frames] total energy */
} dc_dataset;

/* The element list shared by the splits of one sweep: atomic numbers sorted ascending. */
typedef struct dc_elements {
    int n;
    int atomic_number[DC_MAX_ELEMENTS];
} dc_elements;

int dc_dataset_read_xyz(dc_dataset *ds, const char *path, const dc_xyz_options *opts, dc_error *err);

/* In one comment line [comment, comment + len), the first key other than opts' energy key that
 * names an energy (REF_energy, free_energy: "" if none) and the first Properties column other than
 * its forces key that names forces (REF_forces): for the hint when a file has no labels under the
 * names asked for. */
void dc_xyz_label_candidates(const char *comment, size_t len, const dc_xyz_options *opts, char *energy,
                             size_t energy_size, char *forces, size_t forces_size);
void dc_dataset_free(dc_dataset *ds);

/* Copies the frames idx[0..n) of src into dst (a split). */
int dc_dataset_subset(dc_dataset *dst, const dc_dataset *src, const int *idx, int n, dc_error *err);

/* Union of the elements of the given datasets, sorted by atomic number, then sets every types[]. */
int dc_dataset_assign_types(dc_dataset *const *sets, int n_sets, dc_elements *elements, dc_error *err);

const char *dc_element_symbol(int atomic_number);   /* "H", "C", ...; NULL if unknown */
int dc_element_from_symbol(const char *symbol, int len);  /* Z, or 0 if unknown */

/* Neighbour list: every ordered pair (i, j), i != j, of atoms of the same frame with
 * |r_i - r_j| < cutoff. A message flows from j (src) to i (dst). Edges are grouped by frame and,
 * inside a frame, sorted by dst then src. Atom indices are global (into the dataset). */
typedef struct dc_neighbors {
    double cutoff;
    int64_t n_edges;
    int64_t *frame_edge_start; /* [n_frames + 1] */
    int64_t *src;              /* [n_edges] j */
    int64_t *dst;              /* [n_edges] i */
} dc_neighbors;

int dc_neighbors_build(dc_neighbors *nb, const dc_dataset *ds, double cutoff, dc_error *err);
void dc_neighbors_free(dc_neighbors *nb);

#endif
