/* The one-writer lock (include/dcsweep/results/lock.h, src/results/lock.c): held and stale locks,
 * claims left by takers that died, a live claim, release of our own lock only, and contenders
 * racing for one stale lock from forked processes (exactly one wins each round). The forced
 * interleavings under strace are in tests/lock_race.sh. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dcsweep/core/perf.h"
#include "dcsweep/results/lock.h"

static char dir[256], results[300], lock_path[320];
static long dead_pid;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* A lock file as another process wrote it: host "" is ours. */
static void fake_instance(const char *path, const char *host, long pid, const char *extra)
{
    char me[128], text[512];
    gethostname(me, sizeof me);
    snprintf(text, sizeof text, "host=%s\npid=%ld\njob=\nstarted=2026-01-01T00:00:00Z\nwhat=dcsweep run\n%s",
             host[0] ? host : me, pid, extra);
    write_file(path, text);
}

/* The id lock.c gives the file's text (FNV-1a of it, in hex). */
static void file_id(const char *path, char out[17])
{
    char text[1024];
    size_t n = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
    }
    uint64_t hash = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) hash = (hash ^ (unsigned char)text[i]) * 1099511628211ULL;
    snprintf(out, 17, "%016llx", (unsigned long long)hash);
}

/* Files in dir other than the results file's lock: claims and temporary files left behind. */
static int leftovers(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strstr(e->d_name, ".lock.")) n++;
    if (d) closedir(d);
    return n;
}

static int holder_pid_is(const char *path, long pid)
{
    char text[1024], want[64];
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    snprintf(want, sizeof want, "\npid=%ld\n", pid);
    return strstr(text, want) != NULL && strstr(text, "\ntoken=") != NULL;
}

static void held_and_released(void)
{
    dc_lock a, b;
    dc_error err = {0};
    CHECK(dc_lock_take(&a, results, "dcsweep run", &err) == DC_OK, "%s", err.message);
    CHECK(holder_pid_is(lock_path, (long)getpid()), "the lock does not name us");
    CHECK(leftovers() == 0, "temporary files left after a plain take");
    CHECK(dc_lock_take(&b, results, "dcsweep merge", &err) == DC_ERR_INPUT, "a held lock taken again");
    CHECK(strstr(err.message, "is in use by dcsweep run on host ") && !strchr(err.message, '\n'),
          "refusal: %s", err.message);
    CHECK(dc_lock_check(results, "merge", &err) == DC_ERR_INPUT, "check of a held lock");
    dc_lock_release(&a);
    CHECK(access(lock_path, F_OK) != 0, "release left the lock");
    CHECK(dc_lock_check(results, "merge", &err) == DC_OK, "check without a lock");

    /* A lock that is no longer ours (taken over while we stalled) is not removed by our release. */
    CHECK(dc_lock_take(&a, results, "dcsweep run", &err) == DC_OK, "%s", err.message);
    fake_instance(lock_path, "elsewhere", 1, "token=0123456789abcdef\n");
    dc_lock_release(&a);
    CHECK(access(lock_path, F_OK) == 0, "release removed another's lock");
    unlink(lock_path);
}

static void stale_locks(void)
{
    dc_lock a;
    dc_error err = {0};
    /* Dead holder on this host, an old one of another host (also the format without a token). */
    fake_instance(lock_path, "", dead_pid, "");
    CHECK(dc_lock_check(results, "merge", &err) == DC_OK, "a dead holder's lock counts as held");
    CHECK(dc_lock_take(&a, results, "dcsweep run", &err) == DC_OK, "dead holder: %s", err.message);
    CHECK(holder_pid_is(lock_path, (long)getpid()), "dead holder: not taken over");
    CHECK(leftovers() == 0, "dead holder: a claim or temporary file was left");
    dc_lock_release(&a);

    fake_instance(lock_path, "elsewhere", 1, "token=00000000000000aa\n");
    CHECK(dc_lock_take(&a, results, "dcsweep run", &err) == DC_ERR_INPUT, "a fresh lock of another host was taken");
    CHECK(strstr(err.message, "host elsewhere (pid 1, since 2026-01-01T00:00:00Z)") != NULL, "%s", err.message);
    struct timespec old[2] = {{time(NULL) - DC_LOCK_STALE_SECONDS - 60, 0}, {time(NULL) - DC_LOCK_STALE_SECONDS - 60, 0}};
    utimensat(AT_FDCWD, lock_path, old, 0);
    CHECK(dc_lock_take(&a, results, "dcsweep run", &err) == DC_OK, "old lock of another host: %s", err.message);
    CHECK(leftovers() == 0, "old lock of another host: leftovers");
    dc_lock_release(&a);
}

static void claims(void)
{
    dc_lock a;
    dc_error err = {0};
    char id[17], claim[400], claim_id[17], claim2[420];
    /* A taker died holding the claim on a stale lock, and another died claiming that claim. */
    fake_instance(lock_path, "", dead_pid, "token=1111111111111111\n");
    file_id(lock_path, id);
    snprintf(claim, sizeof claim, "%s.break-%s", lock_path, id);
    fake_instance(claim, "", dead_pid, "token=2222222222222222\n");
    file_id(claim, claim_id);
    snprintf(claim2, sizeof claim2, "%s.break-%s", lock_path, claim_id);
    fake_instance(claim2, "", dead_pid, "token=3333333333333333\n");
    CHECK(dc_lock_take(&a, results, "dcsweep run", &err) == DC_OK, "dead claims: %s", err.message);
    CHECK(holder_pid_is(lock_path, (long)getpid()), "dead claims: not taken over");
    CHECK(access(claim, F_OK) != 0 && access(claim2, F_OK) != 0, "the dead takers' claims were left");
    dc_lock_release(&a);

    /* A live taker (init, on this host) holds the claim: we wait for it, then are refused naming it. */
    fake_instance(lock_path, "", dead_pid, "token=4444444444444444\n");
    file_id(lock_path, id);
    snprintf(claim, sizeof claim, "%s.break-%s", lock_path, id);
    fake_instance(claim, "", 1, "token=5555555555555555\n");
    double t0 = dc_perf_seconds();
    CHECK(dc_lock_take(&a, results, "dcsweep run", &err) == DC_ERR_INPUT, "a lock under a live claim was taken");
    double waited = dc_perf_seconds() - t0;
    CHECK(waited >= DC_LOCK_CLAIM_WAIT_SECONDS - 0.5 && waited < DC_LOCK_CLAIM_WAIT_SECONDS + 30,
          "waited %.1f s for the live claim", waited);
    CHECK(strstr(err.message, "(pid 1, since ") != NULL, "the refusal does not name the claimer: %s", err.message);
    char again[17];
    file_id(lock_path, again);
    CHECK(strcmp(again, id) == 0, "the claimed lock was touched");
    unlink(claim);
    unlink(lock_path);
}

/* Contenders forked at once on one stale lock: each winner holds it for a while. */
static void contenders(int rounds, int n)
{
    for (int round = 0; round < rounds; round++) {
        fake_instance(lock_path, "", dead_pid, "");
        int go[2];
        if (pipe(go) != 0) return;
        pid_t kids[16];
        for (int k = 0; k < n; k++) {
            kids[k] = fork();
            if (kids[k] == 0) {
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) < 0) _exit(3);
                dc_lock l;
                dc_error err = {0};
                int rc = dc_lock_take(&l, results, "dcsweep run", &err);
                if (rc != DC_OK) _exit(rc == DC_ERR_INPUT && strstr(err.message, "is in use by") ? 2 : 1);
                int mine = holder_pid_is(lock_path, (long)getpid());
                nanosleep(&(struct timespec){0, 600 * 1000 * 1000}, NULL);
                mine = mine && holder_pid_is(lock_path, (long)getpid());  /* not displaced */
                dc_lock_release(&l);
                _exit(mine ? 0 : 4);
            }
        }
        close(go[0]);
        close(go[1]);
        int won = 0, refused = 0, other = 0;
        for (int k = 0; k < n; k++) {
            int status = 0;
            waitpid(kids[k], &status, 0);
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
            won += code == 0;
            refused += code == 2;
            other += code != 0 && code != 2;
        }
        CHECK(won == 1 && refused == n - 1 && other == 0, "round %d: %d won, %d refused, %d other", round,
              won, refused, other);
        CHECK(access(lock_path, F_OK) != 0 && leftovers() == 0, "round %d: files left", round);
        unlink(lock_path);
    }
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/dc_test_lock_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(results, sizeof results, "%s/r.h5", dir);
    snprintf(lock_path, sizeof lock_path, "%s.lock", results);
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    dead_pid = (long)child;

    held_and_released();
    stale_locks();
    claims();
    contenders(8, 6);

    rmdir(dir);
    return check_finish();
}
