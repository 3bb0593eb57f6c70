/* One writer per results file: a lock file <results>.lock beside it, holding who has it (host,
 * pid, Slurm job id, start time) and a random token. The holder refreshes its modification time
 * while it runs.
 *
 * A lock is stale, and taken over, when its holder is surely gone: on the same host, its pid no
 * longer exists; on another host, it has not been refreshed for DC_LOCK_STALE_SECONDS (a killed
 * job stops refreshing; a live one refreshes every DC_LOCK_REFRESH_SECONDS).
 *
 * No step decides on one file and acts on another: every lock file is written in full under a
 * private name and then published by link() (which fails if the name exists), and a stale lock is
 * replaced only by the one process holding a claim on that very lock (a claim file named after
 * its token), which checks again under the claim that the lock is still the same stale one before
 * renaming its own over it. A live lock is never moved, even for a moment. src/results/lock.c
 * gives the argument and the file systems it holds on; docs/reliability.md states the rule for
 * users. */
#ifndef DCSWEEP_RESULTS_LOCK_H
#define DCSWEEP_RESULTS_LOCK_H

#include <stddef.h>

#include "dcsweep/core/error.h"

#define DC_LOCK_REFRESH_SECONDS 30
#define DC_LOCK_STALE_SECONDS 300
/* How long a taker waits for another one that holds the claim on the same stale lock (a takeover
 * takes microseconds; milliseconds on NFS) before it is refused, naming that taker. */
#define DC_LOCK_CLAIM_WAIT_SECONDS 10

typedef struct dc_lock {
    char path[4200];   /* <results>.lock; "" when not held */
    char id[17];       /* our lock file's identity (hex hash of its text), to release only ours */
    double refreshed;  /* monotonic seconds of the last refresh */
} dc_lock;

/* Takes the lock of results file `results` (DC_ERR_INPUT naming the holder when it is held). */
int dc_lock_take(dc_lock *lock, const char *results, const char *what, dc_error *err);

/* Refreshes the lock's time stamp when DC_LOCK_REFRESH_SECONDS have passed (cheap otherwise). */
void dc_lock_refresh(dc_lock *lock);

/* Releases a held lock (a lock not held is fine). */
void dc_lock_release(dc_lock *lock);

/* DC_ERR_INPUT naming the holder when results is locked by a live holder (for `merge --force`). */
int dc_lock_check(const char *results, const char *what, dc_error *err);

#endif
