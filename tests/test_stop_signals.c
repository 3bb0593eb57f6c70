/* Stop signals never corrupt the heap (issue 26): SIGTERM flooded at a process that runs oneDNN's
 * gemm:jit on the shapes of the engines' weight gradients (op(A) = A^T, the inner dimension K = a
 * batch's rows, past the kernels' stack workspace), with dcsweep's stop handling installed.
 *
 * oneDNN 2.6's kernels point rsp at a heap workspace for such products; a signal handled on the
 * computing thread pushes its frame there. With the old stop.c (a handler on every thread) this
 * test aborts within a second ("corrupted size vs. prev_size", "free(): invalid next size") on
 * AVX-512 and on AVX2; now the signals are taken by the stop module's own thread, every product
 * keeps its bits and every signal is still seen. ONEDNN_MAX_CPU_ISA and OMP_NUM_THREADS pick the
 * kernel and the threads (tests/meson.build runs both ISAs, one and two threads). */
#define _GNU_SOURCE
#include <oneapi/dnnl/dnnl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dcsweep/sweep/stop.h"

enum { ROWS = 2048, OUT = 64, IN = 64 }; /* wgrad: [OUT][IN] = ybar^T [OUT][ROWS] x [ROWS][IN] */
enum { WIDE = 512 };                     /* a product with K = 512 on 500 rows: AVX2's kernel */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The products whose kernels take a heap workspace on AVX-512 (the first) and on AVX2 (the last
 * two, plain and with B transposed); w: [OUT][IN], then [500][OUT] twice. */
static void wgrad(const float *ybar, const float *x, float *w)
{
    /* row-major C = A^T B with A [ROWS][OUT], B [ROWS][IN] */
    dnnl_sgemm('T', 'N', OUT, IN, ROWS, 1.0f, ybar, OUT, x, IN, 0.0f, w, IN);
    dnnl_sgemm('N', 'N', 500, OUT, WIDE, 1.0f, ybar, WIDE, x, OUT, 0.0f, w + OUT * IN, OUT);
    dnnl_sgemm('N', 'T', 500, OUT, WIDE, 1.0f, ybar, WIDE, x, WIDE, 0.0f, w + OUT * IN + 500 * OUT, OUT);
}

/* A child that sends SIGTERM to the parent every ~20 us until the parent is gone or kills it. */
static pid_t flood(void)
{
    pid_t parent = getpid(), kid = fork();
    if (kid == 0) {
        struct timespec gap = {0, 20000};
        for (;;) {
            if (kill(parent, SIGTERM) != 0 || getppid() != parent) _exit(0);
            nanosleep(&gap, NULL);
        }
    }
    return kid;
}

int main(void)
{
    dc_error err = {0};
    const int a_len = 500 * WIDE > ROWS * OUT ? 500 * WIDE : ROWS * OUT; /* A of every product */
    float *ybar = malloc(sizeof(float) * (size_t)a_len), *x = malloc(sizeof(float) * ROWS * IN);
    const size_t out_bytes = sizeof(float) * (OUT * IN + 2 * 500 * OUT);
    float *want = malloc(out_bytes), *got = malloc(out_bytes);
    for (int i = 0; i < a_len; i++) ybar[i] = (float)((i * 7) % 13) / 13.0f - 0.4f;
    for (int i = 0; i < ROWS * IN; i++) x[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;

    CHECK(dc_stop_install(&err) == DC_OK, "install: %s", err.message);
    /* After the install, as in `dcsweep run`: OpenMP's workers start inside the first product and
     * inherit the blocked mask. */
    wgrad(ybar, x, want);
    pid_t kid = flood();
    CHECK(kid > 0, "fork failed");
    int products = 0, wrong = 0;
    double t0 = now();
    while (now() - t0 < 1.5) {
        /* Heap traffic between the products, as the engine has: a damaged chunk header is found
         * by the next malloc or free. */
        void *churn = malloc(1000 + (size_t)(products % 7) * 300);
        memset(got, 0, out_bytes);
        wgrad(ybar, x, got);
        wrong += memcmp(got, want, out_bytes) != 0;
        free(churn);
        products++;
    }
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    CHECK(products > 10, "only %d products in 1.5 s", products);
    CHECK(wrong == 0, "%d of %d products changed their bits under signals", wrong, products);
    CHECK(dc_stop_signal() == SIGTERM, "the stop signal recorded is %d", dc_stop_signal());
    /* Every signal after the first second is a new request (the flood lasts 1.5 s). */
    CHECK(dc_stop_count() > 100, "only %d requests recorded (the flood sends one per ~20 us)",
          dc_stop_count());
    printf("%d products, %d SIGTERM recorded\n", products, dc_stop_count());

    /* Uninstalled: the default disposition and the caller's mask are back. */
    dc_stop_uninstall();
    struct sigaction sa;
    sigaction(SIGTERM, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL, "SIGTERM's disposition was not restored");
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    CHECK(!sigismember(&mask, SIGTERM) && !sigismember(&mask, SIGINT), "the mask was not restored");
    /* A second install starts from no request. */
    CHECK(dc_stop_install(&err) == DC_OK, "reinstall: %s", err.message);
    CHECK(dc_stop_signal() == 0 && dc_stop_count() == 0, "a reinstall kept the old request");
    kill(getpid(), SIGINT);
    for (int i = 0; i < 1000 && dc_stop_count() == 0; i++) usleep(1000);
    CHECK(dc_stop_signal() == SIGINT && dc_stop_count() == 1, "SIGINT: signal %d, count %d",
          dc_stop_signal(), dc_stop_count());
    /* A SIGTERM right after is the same request (a launcher and srun passing one on); one a
     * second later is a second request. */
    kill(getpid(), SIGTERM);
    for (int i = 0; i < 1000 && dc_stop_signal() != SIGTERM; i++) usleep(1000);
    CHECK(dc_stop_signal() == SIGTERM && dc_stop_count() == 1, "SIGTERM right after SIGINT: "
          "signal %d, count %d (must stay 1)", dc_stop_signal(), dc_stop_count());
    usleep(1100000);
    kill(getpid(), SIGTERM);
    for (int i = 0; i < 1000 && dc_stop_count() < 2; i++) usleep(1000);
    CHECK(dc_stop_count() == 2, "a SIGTERM 1.1 s later: count %d, expected 2", dc_stop_count());
    dc_stop_uninstall();
    free(ybar);
    free(x);
    free(want);
    free(got);
    return check_finish();
}
