/* The harness can fail: a test that runs no check exits 1 saying "no check ran", one that checks
 * and passes exits 0, one with a failed check exits 1, and check_skip exits 77 with its reason.
 * Each case runs in a child process, with its counters at zero as a test's start. */
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

enum { NO_CHECK, ONE_PASS, ONE_FAIL, SKIP };

static int child_main(int which)
{
    if (which == ONE_PASS) CHECK(1, "passes");
    if (which == ONE_FAIL) CHECK(0, "fails on purpose");
    if (which == SKIP) return check_skip("on purpose");
    return check_finish();
}

/* Runs one case in a child; returns its exit status (-1 when it did not exit) and its stdout and
 * stderr, joined, in out. */
static int run_case(int which, char *out, size_t len)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        check_passed_ = check_failed_ = 0; /* the parent's checks so far are not the child's */
        const int status = child_main(which);
        fflush(NULL);
        _exit(status);
    }
    close(fds[1]);
    size_t used = 0;
    ssize_t got;
    while (used + 1 < len && (got = read(fds[0], out + used, len - 1 - used)) > 0)
        used += (size_t)got;
    out[used] = '\0';
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

int main(void)
{
    char out[4096];
    int status = run_case(NO_CHECK, out, sizeof out);
    CHECK(status == 1, "no check: exit %d, want 1", status);
    CHECK(strstr(out, "0 passed, 0 failed\n") && strstr(out, "no check ran"),
          "no check: said \"%s\"", out);

    status = run_case(ONE_PASS, out, sizeof out);
    CHECK(status == 0 && strcmp(out, "1 passed, 0 failed\n") == 0, "one pass: exit %d, said \"%s\"",
          status, out);

    status = run_case(ONE_FAIL, out, sizeof out);
    CHECK(status == 1 && strstr(out, "fails on purpose") && strstr(out, "0 passed, 1 failed\n"),
          "one failure: exit %d, said \"%s\"", status, out);

    status = run_case(SKIP, out, sizeof out);
    CHECK(status == CHECK_SKIP_EXIT && strcmp(out, "skipped: on purpose\n") == 0,
          "skip: exit %d, said \"%s\"", status, out);
    return check_finish();
}
