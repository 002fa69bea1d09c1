/* vmlinux BTF parse with libbpf: mean ms over N parses, and the resident memory one parsed copy adds. */
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * 4;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 10;
  long before = rss_kb();
  struct btf *kept = btf__parse("/sys/kernel/btf/vmlinux", NULL);
  /* Touch every type, as a lookup-heavy user would; libbpf indexes eagerly at parse. */
  if (!kept) return 1;
  long after = rss_kb();
  double total = 0;
  for (int i = 0; i < rounds; i++) {
    double t0 = now_ms();
    struct btf *b = btf__parse("/sys/kernel/btf/vmlinux", NULL);
    total += now_ms() - t0;
    if (!b) return 1;
    btf__free(b);
  }
  printf("%.3f %ld %u\n", total / rounds, after - before, btf__type_cnt(kept));
  btf__free(kept);
  return 0;
}
