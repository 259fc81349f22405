// Starting a reward program with resource limits: fork, then in the child (async-signal-safe
// calls only) a new process group, stdin/stdout on one end of a socket pair, setrlimit for
// CPU seconds / address space / open files, PR_SET_NO_NEW_PRIVS, then execve. Swift cannot
// run code between fork and exec safely, and swift-subprocess 1.0.2 has no pre-exec hook on
// Linux (only Darwin's posix_spawnattr configurator), hence this C shim (used by Rewards).
#ifndef REWARD_SPAWN_H
#define REWARD_SPAWN_H

#include <sys/types.h>

/// Limits applied to the child between fork and exec. A value <= 0 leaves that limit as inherited.
typedef struct {
    long long cpu_seconds;          // RLIMIT_CPU (soft = this, hard = this + 1: SIGXCPU, then SIGKILL)
    long long address_space_bytes;  // RLIMIT_AS
    long long open_files;           // RLIMIT_NOFILE
    int no_new_privileges;          // nonzero: prctl(PR_SET_NO_NEW_PRIVS, 1)
    int discard_stderr;             // nonzero: stderr to /dev/null, else inherited
} reward_spawn_limits;

/// Starts `path` (an absolute or relative file path, no PATH search) with `argv` and `envp`
/// (both NULL-terminated). On success returns the child's pid (also its process group id) and
/// stores in `*fd_out` the parent's end of a close-on-exec AF_UNIX stream socket pair whose
/// other end is the child's stdin and stdout. On failure returns -1 and stores in `*error_out`
/// the errno of the step that failed (exec failures included: the child reports them).
pid_t reward_spawn(const char *path, char *const argv[], char *const envp[],
                   const reward_spawn_limits *limits, int *fd_out, int *error_out);

/// pipe2(O_CLOEXEC | O_NONBLOCK) (not exported to Swift by Glibc): 0 or -1 with errno.
int reward_nonblocking_pipe(int fds[2]);

#endif
