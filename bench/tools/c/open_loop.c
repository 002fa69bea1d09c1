// The open load: open(PATH) + close() pairs for SECONDS at RATE per second (0: as fast as it can). PATH exists (the
// harness creates it, named by the run's unique tag), so every open succeeds; opensnoop prints PATH on each line and the
// harness counts the lines that carry it.
// Usage: open_loop PATH SECONDS RATE
#include "pace.h"
#include <fcntl.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PATH SECONDS RATE\n", argv[0]);
    return 2;
  }
  const char *path = argv[1];
  double seconds_wanted = strtod(argv[2], NULL);
  double rate = strtod(argv[3], NULL);
  if (seconds_wanted <= 0) return 2;
  long count = rate > 0 ? (long)(rate * seconds_wanted + 0.5) : -1;
  if (!handshake()) return 1;
  double start = now();
  long done = 0;
  for (long i = 0; count < 0 || i < count; i++) {
    // Checking the clock costs about as much as the open itself: pace (and check the time limit) every 16 opens.
    if ((i & 15) == 0) {
      pace(i, rate, start);
      if (now() - start >= seconds_wanted) break;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
      perror("open_loop: open");
      return 1;
    }
    close(fd);
    done++;
  }
  report(done, now() - start);
  return 0;
}
