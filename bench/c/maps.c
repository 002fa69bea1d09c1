// Baseline for the map benchmark: raw syscalls in C, nothing else in the loop. The map arrives as fd 3 (the
// benchmark passes the very map bpfkit uses, already filled), so both sides look up the same keys in the same map.
// Usage: maps <lookup|update|bpf-invalid|getpid> <iterations> <keys> <trials>
//   lookup/update: BPF_MAP_LOOKUP_ELEM / BPF_MAP_UPDATE_ELEM of key i % keys (value i on update);
//   bpf-invalid: bpf() with an unknown command (the syscall's fixed cost); getpid: the cheapest syscall.
// Prints the mean CPU ns per operation of each trial, space-separated (CPU time: the machine may be shared).
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAP_FD 3
#define INVALID_CMD 9999

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <lookup|update|bpf-invalid|getpid> <iterations> <keys> <trials>\n", argv[0]);
    return 2;
  }
  const char *op = argv[1];
  long iterations = atol(argv[2]);
  uint32_t keys = (uint32_t)atol(argv[3]);
  int trials = atoi(argv[4]);
  int getpid_only = strcmp(op, "getpid") == 0;
  int cmd = strcmp(op, "lookup") == 0   ? BPF_MAP_LOOKUP_ELEM
            : strcmp(op, "update") == 0 ? BPF_MAP_UPDATE_ELEM
                                        : INVALID_CMD;

  // The same preallocated attr for every call, as bpfkit does; bpfkit's attr is the same size (32 bytes).
  uint32_t key = 0;
  uint64_t value = 0;
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_fd = MAP_FD;
  attr.key = (uint64_t)(uintptr_t)&key;
  attr.value = (uint64_t)(uintptr_t)&value;
  uint64_t sum = 0;
  for (int t = 0; t < trials; t++) {
    uint64_t start = now_ns();
    if (getpid_only) {
      for (long i = 0; i < iterations; i++) sum += (uint64_t)syscall(SYS_getpid);
    } else if (cmd == INVALID_CMD) {
      for (long i = 0; i < iterations; i++) sum += (uint64_t)syscall(__NR_bpf, cmd, &attr, 32u);
    } else {
      for (long i = 0; i < iterations; i++) {
        key = (uint32_t)i & (keys - 1);
        if (cmd == BPF_MAP_UPDATE_ELEM) value = (uint64_t)i;
        if (syscall(__NR_bpf, cmd, &attr, 32u) < 0) {
          perror(op);
          return 1;
        }
        sum += value;
      }
    }
    uint64_t elapsed = now_ns() - start;
    printf("%s%.2f", t ? " " : "", (double)elapsed / (double)iterations);
  }
  printf("\n");
  fprintf(stderr, "checksum %llu\n", (unsigned long long)sum);
  return 0;
}
