// Tracepoint record layouts from tracefs format files: what `args->field` means for a tracepoint.

export interface TracepointField {
  name: string;
  /** The C type as written, without the array suffix (e.g. "const char *", "char", "__data_loc char[]"). */
  type: string;
  offset: number;
  size: number;
  signed: boolean;
  /** Element count for fixed arrays like `char comm[16]`. */
  arrayLength?: number;
  /** A pointer (e.g. `const char * filename`): its value is an address in the traced process or kernel. */
  pointer: boolean;
  /** `__data_loc` fields hold (length << 16 | offset) of variable-length data inside the record. */
  dataLoc: boolean;
  /** Fields every event has (common_type, common_pid ...): bpftrace hides them from `args`. */
  common: boolean;
}

export interface TracepointFormat {
  name: string;
  id: number;
  fields: TracepointField[];
}

const fieldLine = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;

export class TracepointFormatError extends Error {
  override name = 'TracepointFormatError';
}

/** Parses the text of events/<category>/<name>/format. */
export function parseTracepointFormat(text: string): TracepointFormat {
  let name = '';
  let id = -1;
  const fields: TracepointField[] = [];
  let seenSeparator = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('name:')) name = line.slice(5).trim();
    else if (line.startsWith('ID:')) id = Number(line.slice(3).trim());
    else if (line.trim() === '' && fields.length > 0) seenSeparator = true;
    else {
      const m = fieldLine.exec(line);
      if (m) fields.push(parseField(m[1]!, Number(m[2]), Number(m[3]), m[4] === '1', !seenSeparator));
    }
  }
  if (!name || id < 0) throw new TracepointFormatError('not a tracepoint format file (no name or ID line)');
  return { name, id, fields };
}

function parseField(decl: string, offset: number, size: number, signed: boolean, common: boolean): TracepointField {
  let text = decl.trim();
  const dataLoc = text.startsWith('__data_loc ');
  let arrayLength: number | undefined;
  // "char comm[16]" -> name comm, array 16; "__data_loc char[] cmd" -> name cmd.
  const arr = /^(.*?)\s*(\w+)\s*\[(\d*)\]$/.exec(text);
  let name: string;
  let type: string;
  if (arr && !dataLoc) {
    type = arr[1]!.trim();
    name = arr[2]!;
    arrayLength = arr[3] ? Number(arr[3]) : undefined;
  } else {
    const m = /^(.*?)([A-Za-z_]\w*)$/.exec(text);
    if (!m) throw new TracepointFormatError(`cannot read tracepoint field declaration '${decl}'`);
    type = m[1]!.trim();
    name = m[2]!;
  }
  text = type;
  const field: TracepointField = {
    name, type, offset, size, signed, pointer: !dataLoc && type.endsWith('*'), dataLoc, common,
  };
  if (arrayLength !== undefined) field.arrayLength = arrayLength;
  return field;
}
