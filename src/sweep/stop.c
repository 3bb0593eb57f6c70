/* SIGINT/SIGTERM as a request to stop (include/dcsweep/sweep/stop.h).
 *
 * Why a thread takes the signals and no handler runs on the training thread: oneDNN 2.6's gemm:jit
 * kernels (jit_avx512_common_gemm_f32, jit_avx_gemm_f32), for a product whose inner dimension is
 * past their stack capacity (every weight gradient: K = the batch's rows), point rsp at a heap
 * workspace while they run. A signal handled on that thread has its frame (2-3 kB with the AVX-512
 * state) pushed below rsp, that is, into the heap: the next free() or HDF5 call aborts with
 * "corrupted size vs. prev_size" (issue 26; oneDNN's own issue #4845, fixed upstream after 2.6).
 * So the stop signals are blocked in the installing thread, and thus in every thread it creates
 * afterwards (oneDNN's OpenMP workers among them), and one thread of ours waits for them with
 * sigwait. The handler stays for threads that were started before the install (an MPI library's
 * progress threads): they run no kernels.
 *
 * The flags are the one static state the rules allow: a signal can report to nothing else. */
#include "dcsweep/sweep/stop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static atomic_int stop_signal, stop_count;

static struct {
    int installed;
    pthread_t catcher;
    sigset_t stop_set;  /* SIGINT, SIGTERM */
    sigset_t saved;     /* the installing thread's mask before */
} stop_state;

/* Signals within this long of the first are one request: a launcher's SIGTERM and the same
 * SIGTERM passed on by srun or the batch shell arrive milliseconds apart (issue 26's requeue test
 * saw a job end "at once" from that). A second request is a human's or a scheduler's later one. */
#define REPEAT_SECONDS 1.0

static atomic_llong first_ns; /* CLOCK_MONOTONIC of the first signal of this install */

static long long monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* async-signal-safe: the handler's path calls it too */
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void record(int sig)
{
    long long now = monotonic_ns(), first = 0;
    atomic_store(&stop_signal, sig);
    if (atomic_compare_exchange_strong(&first_ns, &first, now)) {
        atomic_fetch_add(&stop_count, 1);
        return;
    }
    if ((double)(now - first) >= REPEAT_SECONDS * 1e9) atomic_fetch_add(&stop_count, 1);
}

static void on_signal(int sig) { record(sig); }

static void *catch_signals(void *unused)
{
    (void)unused;
    for (;;) {
        int sig = 0;
        if (sigwait(&stop_state.stop_set, &sig) == 0) record(sig);
    }
    return NULL;
}

int dc_stop_install(dc_error *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    atomic_store(&stop_signal, 0);
    atomic_store(&stop_count, 0);
    atomic_store(&first_ns, 0);
    if (stop_state.installed) return DC_OK;
    sigemptyset(&stop_state.stop_set);
    sigaddset(&stop_state.stop_set, SIGINT);
    sigaddset(&stop_state.stop_set, SIGTERM);
    /* Blocked first: from here on no stop signal is handled on this thread or its children. */
    int prc = pthread_sigmask(SIG_BLOCK, &stop_state.stop_set, &stop_state.saved);
    if (prc != 0) return dc_error_set(err, DC_ERR_INTERNAL, "pthread_sigmask failed: %s", strerror(prc));
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &stop_state.saved, NULL);
        return dc_error_set(err, DC_ERR_INTERNAL, "sigaction failed: %s", strerror(e));
    }
    prc = pthread_create(&stop_state.catcher, NULL, catch_signals, NULL);
    if (prc != 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        pthread_sigmask(SIG_SETMASK, &stop_state.saved, NULL);
        return dc_error_set(err, DC_ERR_INTERNAL, "cannot start the signal thread: %s", strerror(prc));
    }
    stop_state.installed = 1;
    return DC_OK;
}

int dc_stop_installed(void) { return stop_state.installed; }

void dc_stop_with_launcher(void)
{
#ifdef __linux__
    /* Only a rank that a launcher started (mpirun/orted, srun's PMI): a lone `nohup dcsweep run`
     * must outlive its shell. Not PMIX_RANK: Open MPI's singleton MPI_Init sets it. */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE")) return;
    /* SIGKILL, not SIGTERM: a clean stop would go on writing checkpoints to the end of the epoch
     * and hold the lock, so the requeue that follows would be refused; a killed rank leaves the
     * file as any kill does (every run shown done is complete) and its lock stale at once. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) raise(SIGKILL);  /* the launcher died before the request */
#endif
}

void dc_stop_uninstall(void)
{
    if (!stop_state.installed) return;
    pthread_cancel(stop_state.catcher);  /* sigwait is a cancellation point */
    pthread_join(stop_state.catcher, NULL);
    /* A signal that came after the catcher left is still pending: it was a stop request too, and
     * is recorded rather than left to kill the process with the default disposition. */
    const struct timespec now = {0, 0};
    int sig;
    while ((sig = sigtimedwait(&stop_state.stop_set, NULL, &now)) > 0) record(sig);
    /* Ignored while the mask is lifted: one arriving since the drain is discarded, not fatal to a
     * sweep that has finished (exit 143 where the file is complete). */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    pthread_sigmask(SIG_SETMASK, &stop_state.saved, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    stop_state.installed = 0;
}

int dc_stop_signal(void) { return atomic_load(&stop_signal); }

int dc_stop_count(void) { return atomic_load(&stop_count); }
