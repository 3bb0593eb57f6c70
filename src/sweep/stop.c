/* SIGINT/SIGTERM handling (include/dcsweep/sweep/stop.h). The flag is the one static the rules allow:
 * a handler can do nothing else safely, everything else polls it. */
#include "dcsweep/sweep/stop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal, stop_count;

static void on_signal(int sig)
{
    stop_signal = sig;
    stop_count++;
}

int dc_stop_install(dc_error *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocking call in progress (a sleep between polls) returns early. */
    stop_signal = 0;
    stop_count = 0;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return dc_error_set(err, DC_ERR_INTERNAL, "sigaction failed: %s", strerror(errno));
    return DC_OK;
}

void dc_stop_uninstall(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

int dc_stop_signal(void) { return (int)stop_signal; }

int dc_stop_count(void) { return (int)stop_count; }
