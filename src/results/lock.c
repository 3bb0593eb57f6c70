/* The results file's lock (include/dcsweep/results/lock.h). */
#include "dcsweep/results/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/core/perf.h"

typedef struct holder {
    char host[128];
    long pid;
    char job[64];
    char started[32];
    char what[32];
} holder;

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

static void read_holder(const char *path, holder *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->host, sizeof h->host, "?");
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "host=", 5) == 0) field(h->host, sizeof h->host, line + 5);
        else if (strncmp(line, "pid=", 4) == 0) h->pid = strtol(line + 4, NULL, 10);
        else if (strncmp(line, "job=", 4) == 0) field(h->job, sizeof h->job, line + 4);
        else if (strncmp(line, "started=", 8) == 0) field(h->started, sizeof h->started, line + 8);
        else if (strncmp(line, "what=", 5) == 0) field(h->what, sizeof h->what, line + 5);
    }
    fclose(f);
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

/* Whether the holder is surely gone (lock.h). */
static int is_stale(const char *path, const holder *h)
{
    struct stat st;
    if (stat(path, &st) != 0) return 1;
    if (difftime(time(NULL), st.st_mtime) > DC_LOCK_STALE_SECONDS) return 1;
    char host[128];
    my_host(host, sizeof host);
    return strcmp(host, h->host) == 0 && process_gone(h->pid);
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

static int write_holder(int fd, const char *what)
{
    char host[128], text[512], started[32];
    my_host(host, sizeof host);
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &utc);
    const char *job = getenv("SLURM_JOB_ID");
    int n = snprintf(text, sizeof text, "host=%s\npid=%ld\njob=%s\nstarted=%s\nwhat=%s\n", host,
                     (long)getpid(), job ? job : "", started, what);
    if (write(fd, text, (size_t)n) != n) return errno ? errno : ENOSPC;  /* a short write: full */
    return fsync(fd) == 0 ? 0 : errno;
}

int dc_lock_take(dc_lock *lock, const char *results, const char *what, dc_error *err)
{
    memset(lock, 0, sizeof *lock);
    char path[sizeof lock->path];
    if (snprintf(path, sizeof path, "%s.lock", results) >= (int)sizeof path)
        return dc_error_set(err, DC_ERR_INPUT, "path too long: %s", results);
    for (int attempt = 0; attempt < 3; attempt++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) {
            int bad = write_holder(fd, what);
            close(fd);
            if (bad) {
                unlink(path);
                return dc_error_set(err, DC_ERR_IO, "%s: cannot write the lock file: %s", path, strerror(bad));
            }
            snprintf(lock->path, sizeof lock->path, "%s", path);
            lock->refreshed = dc_perf_seconds();
            return DC_OK;
        }
        if (errno != EEXIST)
            return dc_error_set(err, DC_ERR_IO, "%s: cannot create the lock file: %s", path, strerror(errno));
        holder h;
        read_holder(path, &h);
        if (!is_stale(path, &h)) return held_error(path, results, &h, err);
        /* Rename first: of two processes taking over the same stale lock, one rename wins. */
        char aside[sizeof path + 64];
        snprintf(aside, sizeof aside, "%s.stale-%ld", path, (long)getpid());
        if (rename(path, aside) == 0) unlink(aside);
    }
    return dc_error_set(err, DC_ERR_INPUT, "%s.lock: could not take the lock (others keep taking it)", results);
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
    char host[128];
    read_holder(lock->path, &h);
    my_host(host, sizeof host);
    if (h.pid == (long)getpid() && strcmp(h.host, host) == 0) unlink(lock->path);
    lock->path[0] = '\0';
}

int dc_lock_check(const char *results, const char *what, dc_error *err)
{
    char path[4200];
    (void)what;
    snprintf(path, sizeof path, "%s.lock", results);
    if (access(path, F_OK) != 0) return DC_OK;
    holder h;
    read_holder(path, &h);
    return is_stale(path, &h) ? DC_OK : held_error(path, results, &h, err);
}
