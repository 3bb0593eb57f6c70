/* Extended XYZ reader (as ASE writes it). The whole file is read into one buffer and parsed in
 * place: no per-line allocation, arrays grow geometrically, numbers go through strtod on a token
 * bounded by whitespace (exact, and fast enough: see bench/README.md). */
#include "dcsweep/data/dataset.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 256
#define MAX_FRAME_ATOMS 10000000

enum { COL_SKIP = 0, COL_SPECIES, COL_Z, COL_POS, COL_FORCES };

typedef struct xyz_reader {
    const char *path;
    const char *p, *end; /* unread text */
    int64_t line;        /* 1-based number of the line last returned */
    int frame;           /* 1-based number of the frame being read, for messages */
    dc_error *err;
} xyz_reader;

/* The per-frame column layout from Properties=. */
typedef struct xyz_layout {
    int n_columns;
    unsigned char role[MAX_COLUMNS];   /* COL_* of each column */
    unsigned char comp[MAX_COLUMNS];   /* component (0..2) for pos/forces */
    int has_species, has_z, has_pos, has_forces;
} xyz_layout;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* Next line as [*s, *e) without the newline and trailing whitespace; 0 at end of file. */
static int next_line(xyz_reader *r, const char **s, const char **e)
{
    if (r->p >= r->end) return 0;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = nl ? nl : r->end;
    *s = r->p;
    *e = stop;
    while (*e > *s && is_space((*e)[-1])) (*e)--;
    r->p = nl ? nl + 1 : r->end;
    r->line++;
    return 1;
}

static const char *skip_space(const char *s, const char *e)
{
    while (s < e && is_space(*s)) s++;
    return s;
}

static const char *token_end(const char *s, const char *e)
{
    while (s < e && !is_space(*s)) s++;
    return s;
}

static int fail(xyz_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* DC_ERR_INPUT "path:line: frame k: <what>" for the line last read. */
static int fail(xyz_reader *r, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return dc_error_set(r->err, DC_ERR_INPUT, "%s:%lld: frame %d: %s", r->path, (long long)r->line,
                        r->frame, what);
}

/* Parses the whole token [s, e) as a finite double. 0, or an error naming `what`. */
static int parse_number(xyz_reader *r, const char *s, const char *e, double *out, const char *what)
{
    char *stop;
    double v = strtod(s, &stop);
    int len = (int)(e - s > 60 ? 60 : e - s);
    if (stop != e || s == e)
        return fail(r, "malformed number \"%.*s\" in %s", len, s, what);
    if (!isfinite(v))
        return fail(r, "non-finite value \"%.*s\" in %s", len, s, what);
    *out = v;
    return DC_OK;
}

static int key_is(const char *k, const char *ke, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(ke - k) == n && memcmp(k, name, n) == 0;
}

static int key_is_nocase(const char *k, const char *ke, const char *name)
{
    size_t n = strlen(name);
    if ((size_t)(ke - k) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char a = k[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
        if (a != b) return 0;
    }
    return 1;
}

/* Properties=name:type:count:...; unknown columns are kept only as a count to skip. */
static int parse_properties(xyz_reader *r, const char *s, const char *e, const char *forces_key,
                            xyz_layout *lay)
{
    memset(lay, 0, sizeof *lay);
    const char *p = s;
    while (p < e) {
        const char *f[3], *fe[3];
        for (int k = 0; k < 3; k++) {
            if (p >= e) return fail(r, "Properties=\"%.*s\" is not name:type:count triples", (int)(e - s), s);
            f[k] = p;
            while (p < e && *p != ':') p++;
            fe[k] = p;
            if (p < e) p++;
        }
        int count = 0;
        for (const char *q = f[2]; q < fe[2]; q++) {
            if (*q < '0' || *q > '9' || count > MAX_COLUMNS) {
                count = -1;
                break;
            }
            count = count * 10 + (*q - '0');
        }
        if (count <= 0 || fe[2] == f[2] || fe[1] - f[1] != 1 || !strchr("SRIL", *f[1]))
            return fail(r, "bad Properties entry \"%.*s\" (expected name:S|R|I|L:count)",
                        (int)(fe[2] - f[0]), f[0]);
        if (lay->n_columns + count > MAX_COLUMNS)
            return fail(r, "Properties has more than %d columns", MAX_COLUMNS);
        int role = COL_SKIP, *seen = NULL;
        if (key_is(f[0], fe[0], "species")) role = COL_SPECIES, seen = &lay->has_species;
        else if (key_is(f[0], fe[0], "Z")) role = COL_Z, seen = &lay->has_z;
        else if (key_is(f[0], fe[0], "pos") || key_is(f[0], fe[0], "positions"))
            role = COL_POS, seen = &lay->has_pos;
        else if (key_is(f[0], fe[0], forces_key)) role = COL_FORCES, seen = &lay->has_forces;
        if (role != COL_SKIP) {
            int want = (role == COL_SPECIES || role == COL_Z) ? 1 : 3;
            char type = role == COL_SPECIES ? 'S' : role == COL_Z ? 'I' : 'R';
            if (count != want || (*f[1] != type && !(role == COL_SPECIES && *f[1] == 'I')))
                return fail(r, "Properties column \"%.*s\" should be %s", (int)(fe[2] - f[0]),
                            f[0], role == COL_SPECIES ? "S:1" : role == COL_Z ? "I:1" : "R:3");
            if (*seen) return fail(r, "Properties names column \"%.*s\" twice", (int)(fe[0] - f[0]), f[0]);
            *seen = 1;
        }
        for (int k = 0; k < count; k++) {
            lay->role[lay->n_columns] = (unsigned char)role;
            lay->comp[lay->n_columns] = (unsigned char)k;
            lay->n_columns++;
        }
    }
    return DC_OK;
}

/* Whether [k, ke) contains word, ignoring case. */
static int contains_nocase(const char *k, const char *ke, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = k; p + n <= ke; p++)
        if (key_is_nocase(p, p + n, word)) return 1;
    return 0;
}

void dc_xyz_label_candidates(const char *comment, size_t len, const dc_xyz_options *opts, char *energy,
                             size_t energy_size, char *forces, size_t forces_size)
{
    const char *e = comment + len, *ekey = opts && opts->energy_key ? opts->energy_key : "energy";
    const char *fkey = opts && opts->forces_key ? opts->forces_key : "forces";
    energy[0] = forces[0] = '\0';
    for (const char *p = comment; p < e;) {
        while (p < e && is_space(*p)) p++;
        const char *k = p;
        while (p < e && !is_space(*p) && *p != '=') p++;
        const char *ke = p;
        if (p >= e || *p != '=') continue;
        const char *v = ++p, *ve;
        if (p < e && *p == '"') {
            v = ++p;
            while (p < e && *p != '"') p++;
            ve = p;
            if (p < e) p++;
        } else {
            p = ve = token_end(p, e);
        }
        if (!energy[0] && contains_nocase(k, ke, "energy") && !key_is(k, ke, ekey))
            snprintf(energy, energy_size, "%.*s", (int)(ke - k), k);
        if (!forces[0] && key_is_nocase(k, ke, "Properties"))
            for (const char *f = v; f < ve;) {  /* name:type:count triples: the names */
                const char *fe = f;
                while (fe < ve && *fe != ':') fe++;
                if (contains_nocase(f, fe, "force") && !key_is(f, fe, fkey)) {
                    snprintf(forces, forces_size, "%.*s", (int)(fe - f), f);
                    break;
                }
                for (int skip = 0; skip < 3 && f < ve; skip++) {
                    while (f < ve && *f != ':') f++;
                    if (f < ve) f++;
                }
            }
    }
}

/* "; the file has energy key REF_energy ..." for a comment line without the labels asked for (ASE
 * writes REF_energy/REF_forces, other tools other names); "" when it has no candidate. Only a
 * dataset requires labels (predict reads them as optional), so the hint names the sweep's keys. */
static void label_hint(const char *s, const char *e, const dc_xyz_options *o, char *out, size_t size)
{
    char energy[64], forces[64];
    dc_xyz_label_candidates(s, (size_t)(e - s), o, energy, sizeof energy, forces, sizeof forces);
    out[0] = '\0';
    if (energy[0] || forces[0])
        snprintf(out, size, "; the file has %s%s%s%s%s: the sweep's dataset.energy_key and "
                 "dataset.forces_key name the labels (docs/sweep-format.md)", energy[0] ? "energy key " : "",
                 energy, energy[0] && forces[0] ? " and " : "", forces[0] ? "forces column " : "", forces);
}

/* The comment line: key=value pairs, values bare, "quoted" or {braced}; bare keys are flags. */
static int parse_comment(xyz_reader *r, const char *s, const char *e, const dc_xyz_options *o,
                         xyz_layout *lay, double *energy)
{
    int rc, have_energy = 0, have_props = 0;
    const char *p = skip_space(s, e);
    while (p < e) {
        const char *k = p, *ke;
        if (*p == '"') {
            k = ++p;
            while (p < e && *p != '"') p++;
            if (p >= e) return fail(r, "unterminated quote in the comment line");
            ke = p++;
        } else {
            while (p < e && !is_space(*p) && *p != '=') p++;
            ke = p;
        }
        const char *q = skip_space(p, e), *v = NULL, *ve = NULL;
        if (q < e && *q == '=') {
            p = skip_space(q + 1, e);
            if (p < e && (*p == '"' || *p == '{')) {
                char close = *p == '"' ? '"' : '}';
                v = ++p;
                while (p < e && *p != close) p += (*p == '\\' && p + 1 < e) ? 2 : 1;
                if (p >= e) return fail(r, "unterminated value of key \"%.*s\" in the comment line", (int)(ke - k), k);
                ve = p++;
            } else {
                v = p;
                p = ve = token_end(p, e);
            }
        }
        if (!v) {
            p = skip_space(p, e);
            continue;
        }
        if (key_is(k, ke, o->energy_key)) {
            if (have_energy)
                return fail(r, "the energy key \"%s\" appears twice on the comment line", o->energy_key);
            const char *vs = skip_space(v, ve), *vend = ve;
            while (vend > vs && is_space(vend[-1])) vend--;
            char what[160];
            snprintf(what, sizeof what, "energy (key \"%s\")", o->energy_key);
            if ((rc = parse_number(r, vs, vend, energy, what))) return rc;
            have_energy = 1;
        } else if (key_is_nocase(k, ke, "Properties")) {
            if ((rc = parse_properties(r, v, ve, o->forces_key, lay))) return rc;
            have_props = 1;
        } else if (key_is_nocase(k, ke, "pbc")) {
            for (const char *t = skip_space(v, ve); t < ve; t = skip_space(token_end(t, ve), ve)) {
                const char *te = token_end(t, ve);
                if (key_is_nocase(t, te, "T") || key_is_nocase(t, te, "true") || key_is(t, te, "1"))
                    return fail(r, "periodic boundary conditions (pbc=\"%.*s\") are not supported: "
                                   "the model has no periodic images", (int)(ve - v), v);
                if (!key_is_nocase(t, te, "F") && !key_is_nocase(t, te, "false") && !key_is(t, te, "0"))
                    return fail(r, "bad pbc value \"%.*s\"", (int)(ve - v), v);
            }
        }
        p = skip_space(p, e);
    }
    if (!have_props) {
        /* ASE's default when Properties is absent. */
        const char *def = "species:S:1:pos:R:3";
        if ((rc = parse_properties(r, def, def + strlen(def), o->forces_key, lay))) return rc;
    }
    char hint[300];
    if (!have_energy && o->labels_optional) *energy = NAN;
    else if (!have_energy) {
        label_hint(s, e, o, hint, sizeof hint);
        return fail(r, "no energy (key \"%s\") on the comment line%s", o->energy_key, hint);
    }
    if (!lay->has_pos) return fail(r, "Properties has no \"pos\" column");
    if (!lay->has_species && !lay->has_z)
        return fail(r, "Properties has no \"species\" (or \"Z\") column");
    if (!lay->has_forces && !o->labels_optional) {
        label_hint(s, e, o, hint, sizeof hint);
        return fail(r, "Properties has no \"%s\" column (missing forces)%s", o->forces_key, hint);
    }
    return DC_OK;
}

/* Grows a[cap] to at least `need` elements of `size` bytes, doubling. */
static int grow(void **a, int64_t *cap, int64_t need, size_t size, dc_error *err)
{
    if (need <= *cap) return DC_OK;
    int64_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *p = realloc(*a, (size_t)c * size);
    if (!p) return dc_error_set(err, DC_ERR_NOMEM, "out of memory growing a dataset to %lld items", (long long)c);
    *a = p;
    *cap = c;
    return DC_OK;
}

static int grow_atoms(dc_dataset *ds, int64_t *cap, int64_t need, dc_error *err)
{
    if (need <= *cap) return DC_OK;
    int rc;
    int64_t c = *cap;
    if ((rc = grow((void **)&ds->atomic_number, &c, need, 1, err))) return rc;
    c = *cap;
    if ((rc = grow((void **)&ds->positions, &c, need, 3 * sizeof(double), err))) return rc;
    c = *cap;
    if ((rc = grow((void **)&ds->forces, &c, need, 3 * sizeof(double), err))) return rc;
    *cap = c;
    return DC_OK;
}

static int grow_frames(dc_dataset *ds, int64_t *cap, int64_t need, dc_error *err)
{
    if (need <= *cap) return DC_OK;
    int rc;
    int64_t c = *cap;
    if ((rc = grow((void **)&ds->frame_start, &c, need + 1, sizeof(int64_t), err))) return rc;
    c = *cap;
    if ((rc = grow((void **)&ds->frame_line, &c, need + 1, sizeof(int64_t), err))) return rc;
    c = *cap;
    if ((rc = grow((void **)&ds->energy, &c, need + 1, sizeof(double), err))) return rc;
    *cap = c;
    return DC_OK;
}

/* One atom line into atom index a. */
static int parse_atom(xyz_reader *r, const xyz_layout *lay, const char *s, const char *e,
                      dc_dataset *ds, int64_t a)
{
    int rc, z = 0;
    const char *t = skip_space(s, e);
    if (!lay->has_forces)  /* a structure without labels (dc_xyz_options.labels_optional) */
        for (int k = 0; k < 3; k++) ds->forces[3 * a + k] = NAN;
    for (int c = 0; c < lay->n_columns; c++) {
        if (t >= e) {
            int found = c;
            return fail(r, "expected %d columns, found %d", lay->n_columns, found);
        }
        const char *te = token_end(t, e);
        int role = lay->role[c];
        if (role == COL_POS || role == COL_FORCES) {
            double *dst = role == COL_POS ? ds->positions : ds->forces;
            if ((rc = parse_number(r, t, te, &dst[3 * a + lay->comp[c]], role == COL_POS ? "column pos" : "column forces")))
                return rc;
        } else if (role == COL_SPECIES || (role == COL_Z && !lay->has_species)) {
            int len = (int)(te - t), digits = 1, v = 0;
            for (const char *q = t; q < te; q++) {
                if (*q < '0' || *q > '9' || len > 3) digits = 0;
                else v = v * 10 + (*q - '0');
            }
            /* Atomic numbers are accepted in place of symbols. */
            z = digits ? (dc_element_symbol(v) ? v : 0) : dc_element_from_symbol(t, len);
            if (!z) return fail(r, "unknown element \"%.*s\"", len > 40 ? 40 : len, t);
        }
        t = skip_space(te, e);
    }
    if (t < e) {
        int found = lay->n_columns;
        for (; t < e; t = skip_space(token_end(t, e), e)) found++;
        return fail(r, "expected %d columns, found %d", lay->n_columns, found);
    }
    ds->atomic_number[a] = (uint8_t)z;
    return DC_OK;
}

/* A line that holds one positive integer and nothing else: an atom count. */
static int is_count(const char *s, const char *e)
{
    s = skip_space(s, e);
    while (e > s && is_space(e[-1])) e--;
    if (s == e) return 0;
    for (const char *q = s; q < e; q++)
        if (*q < '0' || *q > '9') return 0;
    return 1;
}

/* A line that starts with an element symbol followed by numbers: an atom line. */
static int looks_like_atom(const char *s, const char *e)
{
    s = skip_space(s, e);
    const char *te = token_end(s, e);
    if (!dc_element_from_symbol(s, (int)(te - s))) return 0;
    const char *t = skip_space(te, e);
    return t < e && ((*t >= '0' && *t <= '9') || *t == '-' || *t == '+' || *t == '.');
}

/* Atoms closer than this are one position twice: the model's distances would be 0 (no direction,
 * infinite basis derivatives), so the file is refused at reading, not in the middle of a run. */
#define MIN_DISTANCE 1e-3

/* Frame f's atoms, pairwise: the first two at one position, with their lines. */
static int check_positions(const dc_dataset *ds, int f, dc_error *err)
{
    const int64_t first = ds->frame_start[f], n = ds->frame_start[f + 1] - first;
    const double *r = ds->positions + 3 * first;
    for (int64_t i = 1; i < n; i++)
        for (int64_t j = 0; j < i; j++) {
            double dx = r[3 * i] - r[3 * j], dy = r[3 * i + 1] - r[3 * j + 1], dz = r[3 * i + 2] - r[3 * j + 2];
            double d = sqrt(dx * dx + dy * dy + dz * dz);
            if (d < MIN_DISTANCE)
                return dc_error_set(err, DC_ERR_INPUT, "%s:%lld: frame %d: atoms %lld and %lld (lines %lld and "
                                    "%lld) are %.2g Angstrom apart: two atoms at one position",
                                    ds->path, (long long)(ds->frame_line[f] + 2 + i), f + 1, (long long)j + 1,
                                    (long long)i + 1, (long long)(ds->frame_line[f] + 2 + j),
                                    (long long)(ds->frame_line[f] + 2 + i), d);
        }
    return DC_OK;
}

static int read_file(char **buf, size_t *len, const char *path, dc_error *err)
{
    int rc = DC_OK;
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    /* a path that leads nowhere is the user's input (exit 2), an I/O error is not */
    if (!f) DC_FAIL(errno == ENOENT || errno == ENOTDIR || errno == EACCES ? DC_ERR_INPUT : DC_ERR_IO,
                    "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) DC_FAIL(DC_ERR_IO, "%s: cannot seek: %s", path, strerror(errno));
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
        DC_FAIL(DC_ERR_IO, "%s: cannot tell its size: %s", path, strerror(errno));
    DC_ALLOC(b, (size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n)
        DC_FAIL(DC_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    b[n] = '\0';
    *buf = b;
    *len = (size_t)n;
    b = NULL;
cleanup:
    free(b);
    if (f) fclose(f);
    return rc;
}

int dc_dataset_read_xyz(dc_dataset *ds, const char *path, const dc_xyz_options *opts, dc_error *err)
{
    int rc = DC_OK;
    char *buf = NULL;
    size_t len = 0;
    dc_dataset out = {0};
    dc_xyz_options o = {"energy", "forces", 0};
    if (opts && opts->energy_key) o.energy_key = opts->energy_key;
    if (opts && opts->forces_key) o.forces_key = opts->forces_key;
    if (opts) o.labels_optional = opts->labels_optional;
    int64_t frame_cap = 0, atom_cap = 0;
    xyz_layout lay;

    DC_TRY(read_file(&buf, &len, path, err));
    DC_ALLOC(out.path, strlen(path) + 1);
    memcpy(out.path, path, strlen(path) + 1);
    xyz_reader r = {.path = path, .p = buf, .end = buf + len, .err = err};
    /* A UTF-8 byte-order mark (some Windows editors write one) is not part of the first line. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) r.p += 3;
    const char *s, *e;
    int64_t prev_count_line = 0;
    for (;;) {
        /* Blank lines between frames are tolerated. */
        int got;
        while ((got = next_line(&r, &s, &e)) && skip_space(s, e) == e) {}
        if (!got) break;
        if (out.n_frames == INT_MAX) DC_FAIL(DC_ERR_INPUT, "%s: more than %d frames", path, INT_MAX);
        r.frame = out.n_frames + 1;
        int64_t count_line = r.line, n = 0;
        s = skip_space(s, e);
        for (const char *q = s; q < e; q++) {
            if (*q < '0' || *q > '9' || n > MAX_FRAME_ATOMS) {
                n = -1;
                break;
            }
            n = n * 10 + (*q - '0');
        }
        if (n <= 0 || n > MAX_FRAME_ATOMS) {
            if (prev_count_line > 0 && looks_like_atom(s, e)) {
                /* The previous frame ended early: its count is what is wrong. */
                int64_t here = r.line;
                r.line = prev_count_line;
                r.frame--;
                rc = fail(&r, "the atom count is too small: line %lld after the frame's atoms is an atom "
                              "line, not the next frame's count", (long long)here);
                goto cleanup;
            }
            rc = fail(&r, "bad atom count \"%.*s\" (expected a positive integer on the frame's first line)",
                      (int)(e - s > 40 ? 40 : e - s), s);
            goto cleanup;
        }
        prev_count_line = count_line;
        if (!next_line(&r, &s, &e)) {
            rc = fail(&r, "file ends before the comment line");
            goto cleanup;
        }
        DC_TRY(grow_frames(&out, &frame_cap, out.n_frames + 1, err));
        DC_TRY(parse_comment(&r, s, e, &o, &lay, &out.energy[out.n_frames]));
        DC_TRY(grow_atoms(&out, &atom_cap, out.n_atoms_total + n, err));
        for (int64_t i = 0; i < n; i++) {
            if (!next_line(&r, &s, &e)) {
                r.line = count_line;
                rc = fail(&r, "expected %lld atom lines, file ends after %lld", (long long)n, (long long)i);
                goto cleanup;
            }
            if (is_count(s, e)) {
                /* The next frame began: this frame's count is larger than its atoms. */
                int64_t here = r.line;
                r.line = count_line;
                rc = fail(&r, "the atom count %lld is too large: line %lld, after %lld atoms, holds the "
                              "next frame's count", (long long)n, (long long)here, (long long)i);
                goto cleanup;
            }
            DC_TRY(parse_atom(&r, &lay, s, e, &out, out.n_atoms_total + i));
        }
        out.frame_start[out.n_frames] = out.n_atoms_total;
        out.frame_line[out.n_frames] = count_line;
        out.n_frames++;
        out.n_atoms_total += n;
    }
    if (out.n_frames == 0) DC_FAIL(DC_ERR_INPUT, "%s: empty file (no frames)", path);
    out.frame_start[out.n_frames] = out.n_atoms_total;
    for (int f = 0; f < out.n_frames; f++) DC_TRY(check_positions(&out, f, err));
    DC_ALLOC(out.types, out.n_atoms_total);
    *ds = out;
    free(buf);
    return DC_OK;
cleanup:
    free(buf);
    dc_dataset_free(&out);
    return rc;
}
