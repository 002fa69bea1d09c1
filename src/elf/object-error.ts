// The typed error of the BPF object reader.
import { ElfError } from './symbols.js';

/** The bytes are not a BPF object this reader can turn into a collection. */
export class ObjectError extends ElfError {
  override name = 'ObjectError';
}
