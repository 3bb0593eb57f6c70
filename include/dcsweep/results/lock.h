/* One writer per results file: a lock file <results>.lock beside it, created with O_EXCL (atomic
 * on local file systems, NFSv3+, Lustre and GPFS, unlike flock), holding who has it: host, pid,
 * Slurm job id, start time. The holder refreshes its modification time while it runs.
 *
 * A lock is stale, and taken over, when its holder is surely gone: on the same host, its pid no
 * longer exists; on another host, it has not been refreshed for DC_LOCK_STALE_SECONDS (a killed
 * job stops refreshing; a live one refreshes every DC_LOCK_REFRESH_SECONDS). Taking over renames
 * the stale lock aside first (one of two racing takers wins the rename), then creates a new one.
 * docs/reliability.md states the rule for users. */
#ifndef DCSWEEP_RESULTS_LOCK_H
#define DCSWEEP_RESULTS_LOCK_H

#include <stddef.h>

#include "dcsweep/core/error.h"

#define DC_LOCK_REFRESH_SECONDS 30
#define DC_LOCK_STALE_SECONDS 300

typedef struct dc_lock {
    char path[4200];   /* <results>.lock; "" when not held */
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
