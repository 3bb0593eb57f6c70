/* The results file in-process: create, write a run, read it back, reopen, probe and refuse, in
 * serial mode (results.h) and through the MPI-IO driver on MPI_COMM_SELF (results_mpi.h), the
 * latter with a task field (/task). */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dcsweep/results/results_mpi.h"
#include "schnet_fixture.h"

#define N_RUNS 3
#define EPOCHS 4

static void make_grid(dc_run runs[N_RUNS])
{
    for (int i = 0; i < N_RUNS; i++) {
        runs[i].index = i;
        runs[i].extent = (dc_extent)i;
        runs[i].irelu_scale = i == 0 ? NAN : 0.25 * i;
        runs[i].rescaling = DC_RESCALE_STANDARD;
        runs[i].seed = 40 + i;
    }
}

static dc_metric_desc metrics[FX_METRICS];

static void make_meta(dc_results_meta *meta)
{
    fx_metrics(metrics);
    memset(meta, 0, sizeof *meta);
    meta->sweep_name = "unit";
    meta->sweep_text = "name = \"unit\";\n";
    meta->sweep_effective = "effective\n";
    meta->sweep_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    meta->dataset_sha256 = "";
    meta->created = "2024-01-02T03:04:05Z";
    meta->energy_unit = "eV";
    meta->length_unit = "Angstrom";
    meta->n_runs = N_RUNS;
    meta->epochs = EPOCHS;
    meta->model_kind = "schnet";
    meta->n_metrics = FX_METRICS;
    meta->metrics = metrics;
    meta->n_curves = FX_CURVES;
    meta->curves = fx_curves;
    for (int m = 0; m < DC_N_RESCALINGS; m++) {
        meta->rescaling[m].method = (dc_rescaling)m;
        meta->rescaling[m].shift = m == 4 ? NAN : -1.5 * m;
        meta->rescaling[m].scale = m == 4 ? NAN : 1.0 + m;
    }
}

/* A 3 x 4 task field with both axes: values 10 r + c, x = c / 4, t = 100 + r. */
static const double task_values[3 * 4] = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
static const double task_x[4] = {0.0, 0.25, 0.5, 0.75}, task_t[3] = {100, 101, 102};
static const dc_task_field task_field = {.name = "reference_u", .rows = 3, .cols = 4,
                                         .values = task_values, .x = task_x, .t = task_t};

/* The task field of the file at res: task_field when with_task, else none. */
static void check_task_field(dc_results *res, int with_task)
{
    dc_error err = {0};
    dc_task_field back;
    CHECK(dc_results_read_task_field(res, &back, &err) == DC_OK, "task field: %s", err.message);
    if (!with_task) {
        CHECK(back.name[0] == '\0' && !back.values, "a file without a task field reads none");
        return;
    }
    CHECK(strcmp(back.name, "reference_u") == 0 && back.rows == 3 && back.cols == 4, "task field %s %d x %d",
          back.name, back.rows, back.cols);
    CHECK(back.values && memcmp(back.values, task_values, sizeof task_values) == 0, "task field values");
    CHECK(back.x && memcmp(back.x, task_x, sizeof task_x) == 0, "task field x");
    CHECK(back.t && memcmp(back.t, task_t, sizeof task_t) == 0, "task field t");
    dc_results_task_field_free(&back);
}

static void roundtrip(const char *path, MPI_Comm comm, int with_task)
{
    dc_error err = {0};
    dc_run runs[N_RUNS];
    dc_results_row rows[N_RUNS], back[N_RUNS];
    dc_results_meta meta;
    dc_results *res = NULL;
    make_grid(runs);
    make_meta(&meta);
    if (with_task) meta.task_field = &task_field;
    for (int i = 0; i < N_RUNS; i++) dc_results_row_init(&rows[i], &runs[i]);

    int rc = comm == MPI_COMM_NULL ? dc_results_create(&res, path, &meta, rows, &err)
                                   : dc_results_create_mpi(&res, path, &meta, rows, comm, &err);
    CHECK(rc == DC_OK, "create %s: %s", path, err.message);
    if (rc != DC_OK) return;
    CHECK(dc_results_n_runs(res) == N_RUNS && dc_results_epochs(res) == EPOCHS, "dims");
    CHECK(dc_results_read_rows(res, 0, N_RUNS, back, &err) == DC_OK, "read: %s", err.message);
    CHECK(strcmp(back[1].status, "pending") == 0, "new rows are pending, got %s", back[1].status);
    CHECK(strcmp(back[2].extent, "full") == 0 && back[2].seed == 42 && back[2].rank == -1, "factors");
    CHECK(isnan(back[0].irelu_scale) && isnan(back[2].metric[FX_TEST + FX_FORCE_MAE]), "NaN where n/a");

    /* Write run 1 as done, with curves. */
    dc_results_row row = rows[1];
    snprintf(row.status, sizeof row.status, "done");
    snprintf(row.host, sizeof row.host, "node-7");
    row.rank = 5;
    row.wall_seconds = 12.5;
    row.finished = 1.7e9;
    row.epochs_completed = EPOCHS;
    const double values[FX_METRICS] = {0.1, 0.2, 0.3, 0.4, 0.5, 1.1, 1.2, 1.3, 1.4, 0.75};
    memcpy(row.metric, values, sizeof values);
    double curves[FX_CURVES * EPOCHS];
    for (int i = 0; i < FX_CURVES * EPOCHS; i++) curves[i] = 0.5 * i + 1;
    CHECK(dc_results_write_run(res, &row, curves, NULL, &err) == DC_OK, "write: %s", err.message);
    CHECK(dc_results_read_rows(res, 0, N_RUNS, back, &err) == DC_OK, "read: %s", err.message);
    CHECK(memcmp(&back[1], &row, sizeof row) == 0, "row 1 reads back as written");
    CHECK(strcmp(back[0].status, "pending") == 0 && strcmp(back[2].status, "pending") == 0,
          "other rows untouched");
    CHECK(dc_results_close(res, &err) == DC_OK, "close: %s", err.message);

    /* Reopen serially: everything is there. */
    dc_results_info info;
    CHECK(dc_results_probe(path, &info, &err) == DC_OK, "probe: %s", err.message);
    CHECK(info.format_version == DC_RESULTS_FORMAT_VERSION && info.n_runs == N_RUNS && info.epochs == EPOCHS &&
              strcmp(info.sweep_sha256, meta.sweep_sha256) == 0, "probe identity");
    res = NULL;
    CHECK(dc_results_open(&res, path, 0, &err) == DC_OK, "open: %s", err.message);
    if (!res) return;
    double got[N_RUNS * EPOCHS];
    int n_metrics = 0, n_curves = 0;
    const dc_metric_desc *m = dc_results_metrics(res, &n_metrics);
    const char *const *names = dc_results_curves(res, &n_curves);
    CHECK(n_metrics == FX_METRICS && memcmp(m, metrics, sizeof metrics) == 0, "metric columns read back");
    CHECK(n_curves == FX_CURVES && strcmp(names[FX_VAL_FORCE_MAE], "val_force_mae") == 0, "curve names");
    int c = dc_results_curve_index(res, "val_force_mae");
    CHECK(c == FX_VAL_FORCE_MAE && dc_results_read_curve(res, c, got, &err) == DC_OK, "curve");
    CHECK(got[1 * EPOCHS + 2] == curves[FX_VAL_FORCE_MAE * EPOCHS + 2], "curve value");
    CHECK(isnan(got[0]) && isnan(got[2 * EPOCHS + 3]), "curves of other runs are NaN");
    char *text = NULL;
    CHECK(dc_results_read_attr_string(res, "sweep_text", &text, &err) == DC_OK &&
              strcmp(text, meta.sweep_text) == 0, "sweep_text");
    free(text);
    dc_rescale rs[DC_N_RESCALINGS];
    CHECK(dc_results_read_rescaling(res, rs, &err) == DC_OK, "rescaling: %s", err.message);
    CHECK(rs[3].shift == -4.5 && rs[3].scale == 4.0 && isnan(rs[4].scale), "rescaling values");
    CHECK(dc_results_read_rows(res, 1, 1, back, &err) == DC_OK && back[0].metric[dc_results_metric_index(res, "test_efwt")] == 0.75, "row");
    check_task_field(res, with_task);
    dc_results_close(res, &err);
}

/* MPI_CHECK on a failing call: with MPI_ERRORS_RETURN the code comes back and the message names
 * the call and MPI's own words for the error. */
static int bad_send(dc_error *err)
{
    int rc = DC_OK, x = 0;
    MPI_CHECK(MPI_Send(&x, 1, MPI_INT, 5, 0, MPI_COMM_SELF));  /* rank 5 of a 1-rank communicator */
cleanup:
    return rc;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    {
        dc_error err = {0};
        MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
        CHECK(bad_send(&err) == DC_ERR_MPI, "MPI_CHECK did not return DC_ERR_MPI");
        CHECK(strstr(err.message, "MPI_Send(") && strstr(err.message, "invalid rank"),
              "message: %s", err.message);
    }
    char dir[] = "/tmp/dc_results_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char p1[256], p2[256], p3[256], p4[256];
    snprintf(p1, sizeof p1, "%s/serial.h5", dir);
    snprintf(p2, sizeof p2, "%s/mpiio.h5", dir);
    snprintf(p3, sizeof p3, "%s/text.h5", dir);
    snprintf(p4, sizeof p4, "%s/other.h5", dir);
    roundtrip(p1, MPI_COMM_NULL, 0);
    roundtrip(p2, MPI_COMM_SELF, 1);

    /* Refusals, both bad input: not HDF5, HDF5 without our attributes. */
    dc_error err = {0};
    dc_results_info info;
    FILE *f = fopen(p3, "w");
    fputs("abc", f);
    fclose(f);
    CHECK(dc_results_probe(p3, &info, &err) == DC_ERR_INPUT && strstr(err.message, "not a dcsweep results file (not HDF5)"),
          "text file: %s", err.message);
    hid_t h = H5Fcreate(p4, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(h);
    CHECK(dc_results_probe(p4, &info, &err) == DC_ERR_INPUT && strstr(err.message, "not a dcsweep"),
          "foreign HDF5: %s", err.message);

    /* Dataset digests: sha256sum format, of the file's bytes. */
    dc_dataset_config ds = {0};
    ds.train = p3;
    char *digest = NULL;
    CHECK(dc_results_dataset_digest(&ds, &digest, &err) == DC_OK, "digest: %s", err.message);
    char want[512];
    snprintf(want, sizeof want, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  %s\n", p3);
    CHECK(digest && strcmp(digest, want) == 0, "digest of 'abc': %s", digest ? digest : "(null)");
    free(digest);

    unlink(p1);
    unlink(p2);
    unlink(p3);
    unlink(p4);
    rmdir(dir);
    MPI_Finalize();
    return check_finish();
}
