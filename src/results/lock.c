/* The results file's lock (include/dcsweep/results/lock.h).
 *
 * Every lock file, and every claim below, is an "instance": its whole text (holder and a random
 * token) is written and synced under a private name <lock>.tmp-<token>, then published under its
 * real name by link(), which fails if that name exists. The text never changes afterwards (a
 * refresh only touches the time stamp), so a hash of it, the instance's id, names one instance
 * for ever: a later lock under the same name has another id.
 *
 * Taking over a stale instance X of NAME (the lock, or a claim left by a taker that died):
 *   1. publish a claim <lock>.break-<id of X> (link: of all takers of X, one holds it);
 *   2. under the claim, read NAME again: if it is no longer X, or X is no longer stale, give up
 *      the claim and look again from the start;
 *   3. else rename our own instance over NAME (atomic: the name is never missing, so no third
 *      process can slip a lock of its own in between), and remove the claim.
 * Why no live lock can be displaced: NAME stops being X only through its holder's release (it is
 * gone: that is what stale means) or a rename by the holder of X's claim. A taker that judged X
 * stale, then stalled while another replaced X, finds in step 2 a lock with another id and backs
 * off; one that stalls holding the claim keeps every other taker of X out (they wait up to
 * DC_LOCK_CLAIM_WAIT_SECONDS for it, then are refused naming it). A claim is an instance too: the
 * claim of a taker that died is stale by the same rule and is taken over the same way (claims of
 * claims, DC_LOCK_CLAIM_DEPTH deep at most). The one assumption is the staleness rule's own: a
 * holder on another host that has not refreshed its file for DC_LOCK_STALE_SECONDS is gone.
 *
 * File systems (the lock needs atomic link, rename and exclusive create of one name, as seen by
 * every client, and an open that sees the name's current file):
 *   - local (ext4, xfs, btrfs, tmpfs): POSIX, all of it atomic.
 *   - NFSv3 and v4: link, rename and O_EXCL create are single operations on the server. A reply
 *     lost and the request retried can report EEXIST (link) or ENOENT (rename) for an operation
 *     that was done: we then read the name back and recognise our own id. open() revalidates the
 *     name with the server under close-to-open consistency (the default; not with `nocto`). The
 *     300 s rule compares the server's time stamps with our clock: clocks must agree to well
 *     under that. NFSv2 has no atomic O_EXCL, but link is atomic there too.
 *   - Lustre (and GPFS): namespace operations are serialised by the metadata server across
 *     clients. No fcntl/flock lock is used, so `-o localflock` or `noflock` mounts are fine.
 *   - A file system without hard links (some FUSE mounts, vfat): link fails with EPERM or
 *     EOPNOTSUPP and the instance is created in place with O_EXCL instead; the protocol is the
 *     same, but a reader may see an empty lock for a moment (taken for a live one of host "?"). */
#include "dcsweep/results/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/core/perf.h"

#define DC_LOCK_CLAIM_DEPTH 3   /* claims of claims of dead takers, at most */
#define NAME_CAP 4300           /* <lock>.break-<id>, <lock>.tmp-<token>: the lock path + 32 */

enum { TAKEN = 1, CHANGED = 2, BUSY = 3 };  /* takeover outcomes; negative: -errno */

typedef struct holder {
    char host[128];
    long pid;
    char job[64];
    char started[32];
    char what[32];
    char id[17];  /* hex hash of the whole text */
    int stale;
} holder;

/* One lock file or claim of ours before it is published: tmp is "" once it has been consumed. */
typedef struct instance {
    char tmp[NAME_CAP];
    char text[512];
    char id[17];
} instance;

static void my_host(char *out, size_t size)
{
    if (gethostname(out, size - 1) != 0) snprintf(out, size, "unknown");
    out[size - 1] = '\0';
}

/* dst = src cut to the field (a lock file is written by us: long values are not expected). */
static void field(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* FNV-1a: an id, not a defence (the token makes texts unique; nobody forges lock files). */
static void text_id(const char *text, size_t n, char out[17])
{
    uint64_t hash = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) hash = (hash ^ (unsigned char)text[i]) * 1099511628211ULL;
    snprintf(out, 17, "%016llx", (unsigned long long)hash);
}

/* Whether process pid of this host is gone: no such process, or a zombie (exited, not yet reaped:
 * a container's init may never reap it). */
static int process_gone(long pid)
{
    if (pid <= 0) return 0;
    if (kill((pid_t)pid, 0) != 0) return errno == ESRCH;
    char path[64], stat_line[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int zombie = 0;
    if (fgets(stat_line, sizeof stat_line, f)) {
        const char *end = strrchr(stat_line, ')');  /* the name may hold spaces and parentheses */
        zombie = end && (end[2] == 'Z' || end[2] == 'X');
    }
    fclose(f);
    return zombie;
}

/* Reads the instance now under `path` into h (its text, id and, if judge, staleness from one open
 * file): 1, or 0 when there is none. One we cannot read is taken for a live lock of host "?". */
static int read_instance(const char *path, holder *h, int judge)
{
    memset(h, 0, sizeof *h);
    snprintf(h->host, sizeof h->host, "?");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno != ENOENT;
    char text[1024];
    size_t n = 0;
    ssize_t got = 0;
    struct stat st;
    while (n < sizeof text - 1 && (got = read(fd, text + n, sizeof text - 1 - n)) > 0) n += (size_t)got;
    int ok = got >= 0 && fstat(fd, &st) == 0;
    close(fd);
    if (!ok) return 1;
    text[n] = '\0';
    text_id(text, n, h->id);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (strncmp(line, "host=", 5) == 0) field(h->host, sizeof h->host, line + 5);
        else if (strncmp(line, "pid=", 4) == 0) h->pid = strtol(line + 4, NULL, 10);
        else if (strncmp(line, "job=", 4) == 0) field(h->job, sizeof h->job, line + 4);
        else if (strncmp(line, "started=", 8) == 0) field(h->started, sizeof h->started, line + 8);
        else if (strncmp(line, "what=", 5) == 0) field(h->what, sizeof h->what, line + 5);
    }
    char host[128];
    my_host(host, sizeof host);
    h->stale = judge && (difftime(time(NULL), st.st_mtime) > DC_LOCK_STALE_SECONDS ||
               (strcmp(host, h->host) == 0 && process_gone(h->pid)));
    return 1;
}

static int held_error(const char *lock_path, const char *results, const holder *h, dc_error *err)
{
    return dc_error_set(err, DC_ERR_INPUT,
                        "%s is in use by %s on host %s (pid %ld%s%s, since %s): one writer per results "
                        "file; wait for it to end (a stale lock is taken over after %d s, or at once on "
                        "the same host), or remove %s if you know it is gone",
                        results, h->what[0] ? h->what : "dcsweep", h->host, h->pid,
                        h->job[0] ? ", Slurm job " : "", h->job, h->started[0] ? h->started : "?",
                        DC_LOCK_STALE_SECONDS, lock_path);
}

static uint64_t random_token(void)
{
    uint64_t token = 0;
    if (getrandom(&token, sizeof token, GRND_NONBLOCK) != (ssize_t)sizeof token)
        token = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ (uint64_t)(dc_perf_seconds() * 1e9);
    return token;
}

static int write_all(int fd, const char *text, size_t n)
{
    ssize_t done = write(fd, text, n);
    if (done != (ssize_t)n) return done < 0 && errno ? errno : ENOSPC;  /* a short write: full */
    return fsync(fd) == 0 ? 0 : errno;
}

/* Writes a new instance of ours (a claim on instance `breaks` when not NULL) under a private name
 * beside `lock_path`: 0, or the errno, with *wrote telling whether the file could be created. */
static int make_instance(instance *mine, const char *lock_path, const char *what, const char *breaks,
                         int *wrote)
{
    char host[128], started[32];
    my_host(host, sizeof host);
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &utc);
    const char *job = getenv("SLURM_JOB_ID");
    unsigned long long token = (unsigned long long)random_token();
    int n = snprintf(mine->text, sizeof mine->text,
                     "host=%s\npid=%ld\njob=%s\nstarted=%s\nwhat=%s\ntoken=%016llx\n%s%s%s", host,
                     (long)getpid(), job ? job : "", started, what, token, breaks ? "breaks=" : "",
                     breaks ? breaks : "", breaks ? "\n" : "");
    if (n < 0 || n >= (int)sizeof mine->text) n = (int)sizeof mine->text - 1;
    text_id(mine->text, (size_t)n, mine->id);
    snprintf(mine->tmp, sizeof mine->tmp, "%s.tmp-%016llx", lock_path, token);
    *wrote = 0;
    int fd = open(mine->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        mine->tmp[0] = '\0';
        return errno;
    }
    *wrote = 1;
    int bad = write_all(fd, mine->text, (size_t)n);
    close(fd);
    if (bad) {
        unlink(mine->tmp);
        mine->tmp[0] = '\0';
    }
    return bad;
}

/* Whether our instance is what `name` holds now (after a call whose reply may have been lost). */
static int is_ours(const char *name, const instance *mine)
{
    holder h;
    return read_instance(name, &h, 0) && strcmp(h.id, mine->id) == 0;
}

/* Publishes our instance under `name` if nothing is there: 0, EEXIST, or another errno. */
static int publish(instance *mine, const char *name)
{
    int rc = 0;
    if (link(mine->tmp, name) != 0) {
        rc = errno;
        if (rc == EPERM || rc == EOPNOTSUPP || rc == ENOSYS) {  /* no hard links here */
            int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0) return errno;
            rc = write_all(fd, mine->text, strlen(mine->text));
            close(fd);
            if (rc) unlink(name);
        } else if (is_ours(name, mine)) {
            rc = 0;
        }
    }
    if (rc == 0) {
        unlink(mine->tmp);
        mine->tmp[0] = '\0';
    }
    return rc;
}

/* Replaces the stale instance `old` now under `name` by ours (mine->tmp), unless it has been
 * replaced or refreshed already (the protocol at the top of this file). TAKEN, CHANGED (look at
 * `name` again), BUSY (a live taker holds the claim: *busy names it) or -errno. */
static int takeover(const char *lock_path, const char *name, const holder *old, instance *mine,
                    const char *what, int depth, holder *busy)
{
    char claim[NAME_CAP];
    instance ours;
    holder now;
    int outcome = CHANGED, wrote = 0;
    snprintf(claim, sizeof claim, "%s.break-%s", lock_path, old->id);
    int bad = make_instance(&ours, lock_path, what, old->id, &wrote);
    if (bad) return -bad;
    bad = publish(&ours, claim);
    if (bad == EEXIST) {
        holder other;
        if (!read_instance(claim, &other, 1)) goto cleanup;  /* just released: look again */
        if (!other.stale || depth + 1 >= DC_LOCK_CLAIM_DEPTH) {
            *busy = other;
            outcome = BUSY;
            goto cleanup;
        }
        outcome = takeover(lock_path, claim, &other, &ours, what, depth + 1, busy);
        if (outcome != TAKEN) goto cleanup;
    } else if (bad) {
        outcome = -bad;
        goto cleanup;
    }
    /* We hold the claim on `old`: nobody else may replace it. The check that matters is this one. */
    outcome = CHANGED;
    if (read_instance(name, &now, 1) && strcmp(now.id, old->id) == 0 && now.stale) {
        int moved = rename(mine->tmp, name) == 0, why = errno;
        if (moved || is_ours(name, mine)) {
            mine->tmp[0] = '\0';
            outcome = TAKEN;
        } else {
            outcome = why ? -why : -EIO;
        }
    }
    if (is_ours(claim, &ours)) unlink(claim);
cleanup:
    if (ours.tmp[0]) unlink(ours.tmp);
    return outcome;
}

int dc_lock_take(dc_lock *lock, const char *results, const char *what, dc_error *err)
{
    int rc = DC_OK, wrote = 0;
    char path[sizeof lock->path];
    instance mine;
    memset(lock, 0, sizeof *lock);
    mine.tmp[0] = '\0';
    if (snprintf(path, sizeof path, "%s.lock", results) >= (int)sizeof path)
        return dc_error_set(err, DC_ERR_INPUT, "path too long: %s", results);
    int bad = make_instance(&mine, path, what, NULL, &wrote);
    if (bad)
        DC_FAIL(DC_ERR_IO, "%s: cannot %s the lock file: %s", path, wrote ? "write" : "create", strerror(bad));
    double give_up = dc_perf_seconds() + DC_LOCK_CLAIM_WAIT_SECONDS;
    for (int attempt = 0;; attempt++) {
        holder h, claimer;
        bad = publish(&mine, path);
        if (bad == 0) break;
        if (bad != EEXIST) DC_FAIL(DC_ERR_IO, "%s: cannot create the lock file: %s", path, strerror(bad));
        if (attempt >= 1000)
            DC_FAIL(DC_ERR_INPUT, "%s: could not take the lock (others keep taking it)", path);
        if (!read_instance(path, &h, 1)) continue;  /* released in between */
        if (!h.stale) DC_TRY(held_error(path, results, &h, err));
        int outcome = takeover(path, path, &h, &mine, what, 0, &claimer);
        if (outcome == TAKEN) break;
        if (outcome < 0) DC_FAIL(DC_ERR_IO, "%s: cannot create the lock file: %s", path, strerror(-outcome));
        if (outcome == BUSY) {
            /* Another taker holds the claim: it will hold the lock in a moment (then we are refused
             * naming it, above), or it stalls, and we are refused naming it. */
            if (dc_perf_seconds() > give_up) DC_TRY(held_error(path, results, &claimer, err));
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        }
    }
    snprintf(lock->path, sizeof lock->path, "%s", path);
    snprintf(lock->id, sizeof lock->id, "%s", mine.id);
    lock->refreshed = dc_perf_seconds();
cleanup:
    if (mine.tmp[0]) unlink(mine.tmp);
    return rc;
}

void dc_lock_refresh(dc_lock *lock)
{
    if (!lock->path[0]) return;
    double now = dc_perf_seconds();
    if (now - lock->refreshed < DC_LOCK_REFRESH_SECONDS) return;
    lock->refreshed = now;
    utimensat(AT_FDCWD, lock->path, NULL, 0);
}

void dc_lock_release(dc_lock *lock)
{
    if (!lock->path[0]) return;
    /* Only our own lock: a taker may have replaced it if we stalled past the stale time. */
    holder h;
    if (read_instance(lock->path, &h, 0) && strcmp(h.id, lock->id) == 0) unlink(lock->path);
    lock->path[0] = '\0';
}

int dc_lock_check(const char *results, const char *what, dc_error *err)
{
    char path[4200];
    holder h;
    (void)what;
    snprintf(path, sizeof path, "%s.lock", results);
    if (!read_instance(path, &h, 1)) return DC_OK;
    return h.stale ? DC_OK : held_error(path, results, &h, err);
}
