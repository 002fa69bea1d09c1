// Runs a command as a child and reports on file descriptor 3, for the harness: "pid P" once the child is started,
// then "exit STATUS MAXRSS_KB" when it has ended (peak RSS from wait4's rusage, like GNU time's %M, so it covers
// the whole life of the process, exit included). Signals are sent to the child's pid directly by the harness.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <errno.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CMD [ARGS...]\n", argv[0]);
    return 2;
  }
  FILE *report = fdopen(3, "w");
  if (!report) {
    perror("wrap: fd 3");
    return 2;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("wrap: fork");
    return 2;
  }
  if (child == 0) {
    fclose(report);
    execvp(argv[1], argv + 1);
    perror("wrap: exec");
    _exit(127);
  }
  fprintf(report, "pid %d\n", child);
  fflush(report);
  int status = 0;
  struct rusage usage;
  while (wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      perror("wrap: wait4");
      return 2;
    }
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  fprintf(report, "exit %d %ld\n", code, usage.ru_maxrss);
  fclose(report);
  return code;
}
