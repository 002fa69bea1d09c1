// Baseline for the ring buffer benchmark: libbpf's ring_buffer__poll consuming records that an XDP program writes
// when run with BPF_PROG_TEST_RUN. The ring buffer map arrives as fd 3 and the producer program as fd 4 (the
// benchmark runner passes its own), so both sides consume the very same records from the same producer.
// Usage: ringbuf <records per round> <rounds>. Prints the records per CPU-second of the consumer for each round,
// then on a second line how many records arrived out of order.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t received, expected_seq, out_of_order;
static int seen_any;

static int on_record(void *ctx, void *data, size_t size) {
  (void)ctx;
  (void)size;
  uint64_t seq = *(const uint64_t *)data;
  // Sequence numbers continue from whatever the producer emitted before: check continuity, not the start.
  if (seen_any && seq != expected_seq) out_of_order++;
  seen_any = 1;
  expected_seq = seq + 1;
  received++;
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <records per round> <rounds>\n", argv[0]);
    return 2;
  }
  long per_round = atol(argv[1]);
  int rounds = atoi(argv[2]);
  const int map_fd = 3, prog_fd = 4;
  struct ring_buffer *rb = ring_buffer__new(map_fd, on_record, NULL, NULL);
  if (!rb) {
    perror("ring_buffer__new");
    return 1;
  }
  unsigned char packet[64] = {0};
  for (int round = 0; round < rounds; round++) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof(packet), .repeat = (int)per_round);
    // Fill the ring first (untimed), then time only the consumer.
    if (bpf_prog_test_run_opts(prog_fd, &opts) < 0) {
      perror("BPF_PROG_TEST_RUN");
      return 1;
    }
    received = 0;
    double start = now_s();
    while (received < (uint64_t)per_round) {
      int n = ring_buffer__poll(rb, 1000);
      if (n < 0) {
        fprintf(stderr, "ring_buffer__poll: %d\n", n);
        return 1;
      }
      if (n == 0) break;
    }
    double elapsed = now_s() - start;
    if (received != (uint64_t)per_round) {
      fprintf(stderr, "round %d: got %llu of %ld records\n", round, (unsigned long long)received, per_round);
      return 1;
    }
    printf("%s%.0f", round ? " " : "", (double)received / elapsed);
  }
  ring_buffer__free(rb);
  printf("\n%llu\n", (unsigned long long)out_of_order);
  return 0;
}
