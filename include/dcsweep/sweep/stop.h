/* SIGINT and SIGTERM as a request to stop a sweep cleanly: the handler only records the signal;
 * the coordinator stops handing out runs and the workers' epoch callbacks abandon their runs. */
#ifndef DCSWEEP_STOP_H
#define DCSWEEP_STOP_H

#include "dcsweep/core/error.h"

/* Installs the handlers (and forgets any earlier request). */
int dc_stop_install(dc_error *err);

/* Puts the default dispositions back. */
void dc_stop_uninstall(void);

/* 0, or the number of the signal that asked us to stop. */
int dc_stop_signal(void);

/* How many stop signals arrived (a second one means: stop now). */
int dc_stop_count(void);

#endif
