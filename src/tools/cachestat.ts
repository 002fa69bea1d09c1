// cachestat: page cache hits, misses and dirtied pages per interval, in libbpf-tools' columns. BCC and libbpf-tools
// count calls of mark_page_accessed (accesses), add_to_page_cache_lru (misses) and account_page_dirtied with
// kprobes or fentry, which this kernel refuses. Their tracepoint counterparts here, all tp_btf:
//   accesses  filemap:mm_filemap_get_pages   pages a read() looks up in the page cache (the range asked for,
//                                            cut at end of file; a read served in several batches counts once)
//   misses    filemap:mm_filemap_add_to_page_cache   pages brought into the cache (folio size)
//   dirties   writeback:writeback_dirty_folio        pages newly dirtied (folio size)
// and the same arithmetic as BCC: misses = added - dirtied (pages a write creates are not read misses), hits =
// accesses - misses. Like BCC's, the figures are an estimate: mmap accesses are not counted.
import { readFileSync } from 'node:fs';
import { FP, program, R0, R1, R2, R3, R4, R6, R7, R8, R9, type ProgramBuilder, type Register } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { MapType, UpdateFlags } from '../sys/constants.js';
import type { CollectionSpec } from '../spec/collection.js';
import { clockNow } from './framework/format.js';
import { kernelOffset } from './framework/kernel-types.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool, everyInterval, intervalAndCount, positiveInt } from './framework/tool.js';

// Counters (one array slot, cumulative): u64 pages accessed, u64 pages added, u64 pages dirtied.
const ACCESSED = 0;
const ADDED = 8;
const DIRTIED = 16;
const PAGE_SHIFT = 12;
const PG_HEAD = 6;

/** R0 → &counters[0]; jumps to 'out' if the lookup fails. Clobbers R1-R5, uses FP-8. */
function emitCounters(b: ProgramBuilder): void {
  b.st('w', FP, -8, 0).loadMap(R1, 'counters').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem).jeq(R0, 0, 'out');
}

/** out = folio_nr_pages(folio): 1, or folio->_nr_pages for a large folio (PG_head set). */
function emitFolioPages(b: ProgramBuilder, folio: Register, out: Register): void {
  b.ldx('dw', out, folio, kernelOffset('folio', 'flags')).rsh(out, PG_HEAD).and(out, 1).jeq(out, 0, 'small');
  b.ldx('w', out, folio, kernelOffset('folio', '_nr_pages')).ja('sized');
  b.label('small').mov(out, 1).label('sized');
}

/** A program that adds folio_nr_pages(args[0]) to the counter at `field`. */
function folioCounter(name: string, event: string, field: number) {
  const b = program();
  b.ldx('dw', R6, R1, 0); // args[0]: struct folio *
  emitFolioPages(b, R6, R7);
  emitCounters(b);
  b.atomic('dw', 'add', R0, field, R7);
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram(name, event, b.build());
}

/** mm_filemap_get_pages(mapping, index, last_index): pages a read looks up, cut at EOF, continuations once. */
function accessCounter() {
  const b = program();
  b.ldx('dw', R6, R1, 0).ldx('dw', R7, R1, 8).ldx('dw', R8, R1, 16); // mapping, first, last page index
  // Cut at end of file: a 128 KiB read() of a 10 KiB file looks up 3 pages, not 32.
  b.ldx('dw', R9, R6, kernelOffset('address_space', 'host')).jeq(R9, 0, 'out');
  b.ldx('dw', R9, R9, kernelOffset('inode', 'i_size')).jmp('jsle', R9, 0, 'out');
  b.sub(R9, 1).rsh(R9, PAGE_SHIFT).jle(R8, R9, 'in_file').mov(R8, R9).label('in_file');
  b.jgt(R7, R8, 'out');
  // filemap_read() asks again for the rest of the range when one batch did not cover it: same task, same file,
  // same last page, later first page. Those repeats are not new accesses.
  b.call(Helper.get_current_pid_tgid).stx('dw', FP, -16, R0);
  b.loadMap(R1, 'last_read').mov(R2, FP).add(R2, -16).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'remember');
  b.ldx('dw', R1, R0, 0).jne(R1, R6, 'remember');
  b.ldx('dw', R1, R0, 16).jne(R1, R8, 'remember');
  b.ldx('dw', R1, R0, 8).jle(R7, R1, 'remember');
  b.stx('dw', R0, 8, R7).ja('out'); // a continuation: move its start along, count nothing
  b.label('remember');
  b.stx('dw', FP, -40, R6).stx('dw', FP, -32, R7).stx('dw', FP, -24, R8);
  b.loadMap(R1, 'last_read').mov(R2, FP).add(R2, -16).mov(R3, FP).add(R3, -40).mov(R4, UpdateFlags.ANY).call(Helper.map_update_elem);
  b.sub(R8, R7).add(R8, 1);
  emitCounters(b);
  b.atomic('dw', 'add', R0, ACCESSED, R8);
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram('get_pages', 'mm_filemap_get_pages', b.build());
}

function buildSpec(): CollectionSpec {
  return {
    maps: {
      counters: { name: 'counters', type: MapType.ARRAY, keySize: 4, valueSize: 24, maxEntries: 1 },
      // Per task (pid_tgid): the last read's mapping, first and last page.
      last_read: { name: 'last_read', type: MapType.LRU_HASH, keySize: 8, valueSize: 24, maxEntries: 10240 },
    },
    programs: {
      get_pages: accessCounter(),
      add_to_cache: folioCounter('add_to_cache', 'mm_filemap_add_to_page_cache', ADDED),
      dirty_folio: folioCounter('dirty_folio', 'writeback_dirty_folio', DIRTIED),
    },
  };
}

/** Buffers and Cached from /proc/meminfo, in MiB. */
function meminfoMb(): { buffers: number; cached: number } {
  const text = readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
  return { buffers: Math.floor(kb('Buffers') / 1024), cached: Math.floor(kb('Cached') / 1024) };
}

export default defineTool<{ timestamp?: boolean }>({
  name: 'cachestat',
  summary: 'count page cache hits, misses and dirtied pages per interval',
  examples: [
    'bpfkit cachestat          # shows hits and misses to the file system page cache',
    'bpfkit cachestat -T       # include timestamps',
    'bpfkit cachestat 1 10     # print 1 second summaries, 10 times',
  ],
  configure(command) {
    command
      .option('-T, --timestamp', 'print timestamp')
      .argument('[interval]', 'output interval, in seconds (default 1)', positiveInt('interval'))
      .argument('[count]', 'number of outputs', positiveInt('count'));
  },
  async run(options, args, ctx) {
    const { interval = 1, count } = intervalAndCount(args);
    const session = new ToolSession(ctx, buildSpec());
    session.tpBtf('get_pages', 'mm_filemap_get_pages');
    session.tpBtf('add_to_cache', 'mm_filemap_add_to_page_cache');
    session.tpBtf('dirty_folio', 'writeback_dirty_folio');
    const counters = session.map('counters');
    const read = (): [bigint, bigint, bigint] => {
      const v = counters.lookup(new Uint8Array(4));
      if (!v) return [0n, 0n, 0n];
      const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
      return [view.getBigUint64(ACCESSED, true), view.getBigUint64(ADDED, true), view.getBigUint64(DIRTIED, true)];
    };
    let previous = read();
    if (!ctx.json) {
      ctx.write(`${options.timestamp ? `${'TIME'.padEnd(8)} ` : ''}${'HITS'.padStart(8)} ${'MISSES'.padStart(8)} ${'DIRTIES'.padStart(8)} ${'HITRATIO'.padStart(8)} ${'BUFFERS_MB'.padStart(12)} ${'CACHED_MB'.padStart(10)}\n`);
    }
    await everyInterval(ctx, interval, count, () => {
      const now = read();
      const [accessed, added, dirtied] = now.map((v, i) => Number(v - previous[i]!)) as [number, number, number];
      previous = now;
      const total = accessed;
      let misses = Math.max(0, added - dirtied);
      let hits = total - misses;
      if (hits < 0) {
        misses = total;
        hits = 0;
      }
      const ratio = total > 0 ? (100 * hits) / total : 0;
      const { buffers, cached } = meminfoMb();
      const time = clockNow();
      if (ctx.json) {
        ctx.writeJson({ time, hits, misses, dirties: dirtied, hit_ratio: ratio, buffers_mb: buffers, cached_mb: cached, accessed_pages: accessed, added_pages: added });
      } else {
        ctx.write(`${options.timestamp ? `${time.padEnd(8)} ` : ''}${String(hits).padStart(8)} ${String(misses).padStart(8)} ${String(dirtied).padStart(8)} ${ratio.toFixed(2).padStart(7)}% ${String(buffers).padStart(12)} ${String(cached).padStart(10)}\n`);
      }
    });
  },
});
