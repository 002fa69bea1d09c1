// Baseline for the map benchmark: BPF_MAP_LOOKUP_ELEM / BPF_MAP_UPDATE_ELEM through raw bpf() syscalls,
// nothing else in the loop. Usage: maps <array|hash> <lookup|update> <iterations> <keys> <trials>
// Prints the mean CPU ns per operation of each trial, space-separated (CPU time: the machine may be shared).
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int elem(int cmd, int fd, uint32_t *key, uint64_t *value) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)key;
  attr.value = (uint64_t)(uintptr_t)value;
  return (int)sys_bpf(cmd, &attr);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s <array|hash> <lookup|update> <iterations> <keys> <trials>\n", argv[0]);
    return 2;
  }
  int hash = strcmp(argv[1], "hash") == 0;
  int update = strcmp(argv[2], "update") == 0;
  long iterations = atol(argv[3]);
  uint32_t keys = (uint32_t)atol(argv[4]);
  int trials = atoi(argv[5]);

  union bpf_attr create;
  memset(&create, 0, sizeof(create));
  create.map_type = hash ? BPF_MAP_TYPE_HASH : BPF_MAP_TYPE_ARRAY;
  create.key_size = 4;
  create.value_size = 8;
  create.max_entries = keys;
  int fd = (int)sys_bpf(BPF_MAP_CREATE, &create);
  if (fd < 0) {
    perror("BPF_MAP_CREATE");
    return 1;
  }
  uint32_t key;
  uint64_t value;
  for (key = 0; key < keys; key++) {
    value = key;
    if (elem(BPF_MAP_UPDATE_ELEM, fd, &key, &value) < 0) {
      perror("fill");
      return 1;
    }
  }

  // The same preallocated attr for every call, as bpfkit does.
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)&key;
  attr.value = (uint64_t)(uintptr_t)&value;
  int cmd = update ? BPF_MAP_UPDATE_ELEM : BPF_MAP_LOOKUP_ELEM;
  uint64_t sum = 0;
  for (int t = 0; t < trials; t++) {
    uint64_t start = now_ns();
    for (long i = 0; i < iterations; i++) {
      key = (uint32_t)i & (keys - 1);
      value = (uint64_t)i;
      if (sys_bpf(cmd, &attr) < 0) {
        perror("op");
        return 1;
      }
      sum += value;
    }
    uint64_t elapsed = now_ns() - start;
    printf("%s%.2f", t ? " " : "", (double)elapsed / (double)iterations);
  }
  printf("\n");
  fprintf(stderr, "checksum %llu\n", (unsigned long long)sum);
  close(fd);
  return 0;
}
