/* SIGINT and SIGTERM as a request to stop a sweep cleanly: they are only recorded, by a thread of
 * the stop module's own (stop.c says why no handler may run on a training thread); the coordinator
 * stops handing out runs and the workers' epoch callbacks abandon their runs. */
#ifndef DCSWEEP_STOP_H
#define DCSWEEP_STOP_H

#include "dcsweep/core/error.h"

/* Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts afterwards
 * (call it before MPI_Init and before any oneDNN call), starts the thread that records them, and
 * forgets any earlier request. */
int dc_stop_install(dc_error *err);

/* Whether dc_stop_install is in force (the run command installs it first thing: a caller that
 * finds it installed must not install it again, which would forget a signal of the startup). */
int dc_stop_installed(void);

/* A rank started by mpirun/orted (or srun) dies with it (SIGKILL, Linux's parent-death signal):
 * after `kill -9 mpirun` no orphan goes on recording runs or holding the lock, so a requeue right
 * after succeeds. Nothing for a process started without a launcher. Idempotent. */
void dc_stop_with_launcher(void);

/* Stops that thread and puts the default dispositions and the caller's mask back (a signal still
 * pending is recorded, not left to kill the process). */
void dc_stop_uninstall(void);

/* 0, or the number of the signal that asked us to stop. */
int dc_stop_signal(void);

/* How many stop requests arrived (a second one means: stop now). Signals less than a second after
 * the first are the same request (a launcher and the scheduler both passing one SIGTERM on). */
int dc_stop_count(void);

#endif
