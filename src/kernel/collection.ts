// CollectionSpec → Collection: create every map, load every program against them, and own the lot.
import type { CollectionSpec } from '../spec/collection.js';
import { BpfMap } from './map.js';
import { Program, type LoadOptions } from './program.js';

export interface CollectionOptions {
  /** Verifier log level for every program (see LoadOptions.logLevel). */
  logLevel?: number;
  /** Maps to use instead of creating them (by name): shared or pinned maps. */
  replaceMaps?: Record<string, BpfMap>;
}

export class Collection implements Disposable {
  private constructor(
    readonly maps: Record<string, BpfMap>,
    readonly programs: Record<string, Program>,
    private readonly owned: Set<BpfMap>,
  ) {}

  /** Creates the maps and loads the programs of spec. On any failure, everything made so far is closed. */
  static load(spec: CollectionSpec, opts: CollectionOptions = {}): Collection {
    const maps: Record<string, BpfMap> = {};
    const programs: Record<string, Program> = {};
    const owned = new Set<BpfMap>();
    try {
      for (const [name, mapSpec] of Object.entries(spec.maps)) {
        const given = opts.replaceMaps?.[name];
        if (given) {
          maps[name] = given;
        } else {
          const map = BpfMap.create({ ...mapSpec, name: mapSpec.name || name });
          owned.add(map);
          maps[name] = map;
        }
      }
      const loadOpts: LoadOptions = { maps, ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}) };
      for (const [name, progSpec] of Object.entries(spec.programs)) {
        programs[name] = Program.load(progSpec, loadOpts);
      }
      return new Collection(maps, programs, owned);
    } catch (err) {
      for (const p of Object.values(programs)) p.close();
      for (const m of owned) m.close();
      throw err;
    }
  }

  map(name: string): BpfMap {
    const m = this.maps[name];
    if (!m) throw new RangeError(`collection has no map '${name}' (maps: ${Object.keys(this.maps).join(', ') || 'none'})`);
    return m;
  }

  program(name: string): Program {
    const p = this.programs[name];
    if (!p) throw new RangeError(`collection has no program '${name}' (programs: ${Object.keys(this.programs).join(', ') || 'none'})`);
    return p;
  }

  close(): void {
    for (const p of Object.values(this.programs)) p.close();
    for (const m of this.owned) m.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
