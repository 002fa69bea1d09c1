// Shared by the load generators: a monotonic clock, the pacing that spreads N operations evenly over time at a
// given rate, and the start handshake with the harness.
#ifndef BENCH_PACE_H
#define BENCH_PACE_H
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Before operation i (0-based) at `rate` per second (0: flat out): sleep while more than 1 ms ahead of schedule.
// Sleeping only when well ahead keeps the loop cheap at high rates (a short burst at most 1 ms long, then a pause).
static void pace(long i, double rate, double start) {
  if (rate <= 0) return;
  double ahead = start + i / rate - now();
  if (ahead > 0.001) {
    struct timespec ts = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };
    nanosleep(&ts, NULL);
  }
}

// Prints our pid, then waits for a line on stdin: the harness starts the tool under test in between, so the tool
// never sees the generator's own start.
static int handshake(void) {
  printf("%d\n", getpid());
  fflush(stdout);
  char line[64];
  return fgets(line, sizeof line, stdin) != NULL;
}

// The harness reads "done COUNT SECONDS RATE" (what was really generated, at what rate).
static void report(long count, double seconds) {
  printf("done %ld %.6f %.1f\n", count, seconds, seconds > 0 ? count / seconds : 0.0);
  fflush(stdout);
}
#endif
