// The traced workload: N getpid() system calls in a tight loop, made directly (glibc does not cache getpid, but
// syscall() makes sure each call enters the kernel and fires sys_enter_getpid).
// Usage: getpid_loop N [--wait]. With --wait it prints its pid and waits for a line on stdin before starting, so
// a tracer can be started with that pid first. Prints "calls seconds calls_per_second" when done.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s N [--wait]\n", argv[0]);
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  if (argc > 2 && strcmp(argv[2], "--wait") == 0) {
    printf("%d\n", getpid());
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 1;
  }
  double start = now();
  for (long i = 0; i < n; i++) syscall(SYS_getpid);
  double seconds = now() - start;
  printf("%ld %.6f %.0f\n", n, seconds, n / seconds);
  return 0;
}
