// ext4slower: ext4 reads, writes, opens and fsyncs slower than a threshold, as BCC and libbpf-tools show them. Both
// time ext4_file_read_iter / ext4_file_write_iter / ext4_file_open / ext4_sync_file with kprobes or fentry/fexit.
// This kernel refuses both, and its ext4 tracepoints have no read, write or open events (only fsync's
// ext4_sync_file_enter/exit): the tool says so and exits 1 rather than show a partial or made-up picture.
import { defineTool, positiveInt } from './framework/tool.js';

const EXT4SLOWER_UNSUPPORTED =
  'ext4slower needs kprobes or fentry on ext4_file_read_iter, ext4_file_write_iter, ext4_file_open and ext4_sync_file, ' +
  'which this kernel does not allow (its ext4 tracepoints cover fsync only, not reads, writes or opens)';

export default defineTool<{ csv?: boolean; duration?: number; min?: number; pid?: number }>({
  name: 'ext4slower',
  summary: 'trace ext4 operations slower than a threshold (needs kprobes or fentry)',
  examples: [
    'bpfkit ext4slower            # trace ext4 operations slower than 10 ms',
    'bpfkit ext4slower -m 1       # slower than 1 ms',
    'bpfkit ext4slower -p 1216    # PID 1216 only',
  ],
  configure(command) {
    command
      .option('-c, --csv', 'output as csv')
      .option('-d, --duration <DURATION>', 'total duration of trace in seconds', positiveInt('duration'))
      .option('-m, --min <MIN>', 'min latency to trace, in ms (default 10)', Number)
      .option('-p, --pid <PID>', 'process ID to trace', positiveInt('pid'));
  },
  run() {
    return Promise.reject(new Error(EXT4SLOWER_UNSUPPORTED));
  },
});
