// The exec load: children, each `PROGRAM TAG`, started for SECONDS at RATE per second (0: as fast as it can), at
// most PARALLEL alive at once. vfork() + execve() is the cheapest way to get one exec per child (the parent waits only
// for the exec, not for the child to end). execsnoop prints TAG in each child's ARGS, so the harness counts lines.
// Usage: exec_loop SECONDS RATE PARALLEL PROGRAM TAG
#include "pace.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s SECONDS RATE PARALLEL PROGRAM TAG\n", argv[0]);
    return 2;
  }
  double seconds_wanted = strtod(argv[1], NULL);
  double rate = strtod(argv[2], NULL);
  long parallel = strtol(argv[3], NULL, 10);
  char *child_argv[] = { argv[4], argv[5], NULL };
  if (seconds_wanted <= 0 || parallel <= 0) return 2;
  long count = rate > 0 ? (long)(rate * seconds_wanted + 0.5) : -1;
  if (!handshake()) return 1;
  long alive = 0, started = 0;
  double start = now();
  for (long i = 0; count < 0 || i < count; i++) {
    pace(i, rate, start);
    // The time limit holds at any rate: a paced run that falls behind ends on time, and reports what it made.
    if (now() - start >= seconds_wanted) break;
    while (alive >= parallel) {
      if (wait(NULL) > 0) alive--;
      else if (errno != EINTR) return 1;
    }
    pid_t pid = vfork();
    if (pid == 0) {
      execve(child_argv[0], child_argv, environ);
      _exit(127);
    }
    if (pid < 0) {
      perror("exec_loop: vfork");
      break;
    }
    alive++;
    started++;
  }
  double seconds = now() - start;
  while (alive > 0 && wait(NULL) > 0) alive--;
  report(started, seconds);
  return 0;
}
