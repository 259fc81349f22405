// fork + limits + exec for reward programs; see include/reward_spawn.h.
#define _GNU_SOURCE
#include "reward_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void child_fail(int report_fd, int err) {
    ssize_t ignored = write(report_fd, &err, sizeof err);
    (void)ignored;
    _exit(127);
}

/// Lowers a limit; never asks for more than the inherited hard limit (that would fail with EPERM).
static int limit(int resource, long long soft, long long hard) {
    struct rlimit old, r;
    if (getrlimit(resource, &old) != 0) return -1;
    r.rlim_max = (rlim_t)hard;
    if (old.rlim_max != RLIM_INFINITY && r.rlim_max > old.rlim_max) r.rlim_max = old.rlim_max;
    r.rlim_cur = (rlim_t)soft;
    if (r.rlim_cur > r.rlim_max) r.rlim_cur = r.rlim_max;
    return setrlimit(resource, &r);
}

pid_t reward_spawn(const char *path, char *const argv[], char *const envp[],
                   const reward_spawn_limits *limits, int *fd_out, int *error_out) {
    int sv[2], report[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) { *error_out = errno; return -1; }
    if (pipe2(report, O_CLOEXEC) != 0) {
        *error_out = errno;
        close(sv[0]); close(sv[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *error_out = errno;
        close(sv[0]); close(sv[1]); close(report[0]); close(report[1]);
        return -1;
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls from here to execve.
        close(sv[0]);
        close(report[0]);
        if (setpgid(0, 0) != 0) child_fail(report[1], errno);
        if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0) child_fail(report[1], errno);
        if (sv[1] > 2) close(sv[1]);
        if (limits->discard_stderr) {
            int null = open("/dev/null", O_WRONLY);
            if (null < 0 || dup2(null, 2) < 0) child_fail(report[1], errno);
            if (null > 2) close(null);
        }
        // Descriptors the parent opened without close-on-exec must not leak into the child.
        syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        // Ignored signals stay ignored across exec; the parent may ignore SIGPIPE.
        struct sigaction dfl;
        dfl.sa_handler = SIG_DFL;
        dfl.sa_flags = 0;
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGPIPE, &dfl, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, 0);
        if (limits->cpu_seconds > 0 && limit(RLIMIT_CPU, limits->cpu_seconds, limits->cpu_seconds + 1) != 0)
            child_fail(report[1], errno);
        if (limits->address_space_bytes > 0 &&
            limit(RLIMIT_AS, limits->address_space_bytes, limits->address_space_bytes) != 0)
            child_fail(report[1], errno);
        if (limits->open_files > 0 && limit(RLIMIT_NOFILE, limits->open_files, limits->open_files) != 0)
            child_fail(report[1], errno);
        if (limits->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            child_fail(report[1], errno);
        execve(path, argv, envp);
        child_fail(report[1], errno);
    }
    // Parent.
    close(sv[1]);
    close(report[1]);
    int child_errno = 0;
    ssize_t n;
    do { n = read(report[0], &child_errno, sizeof child_errno); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_errno) {
        // The child could not exec: it has exited (or is about to) with status 127.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        close(sv[0]);
        *error_out = child_errno;
        return -1;
    }
    *fd_out = sv[0];
    return pid;
}

int reward_nonblocking_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC | O_NONBLOCK); }
