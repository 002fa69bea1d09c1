// Prints a parsed program the way `bpftrace -d` prints "AST after: parser" (bpftrace 0.17), so `bpfkit trace -d`
// looks familiar and tests can compare our parse tree with bpftrace's node for node. Types are not known yet at
// this stage, hence `type[none, ctx: 0]`. bpftrace's printer quirks are kept on purpose: `while` leaves the
// indentation two levels deeper for everything printed after it, a `**` cast prints one `*`, and compound
// assignments print as `x = x op y`.
import type * as A from './ast.js';

const NONE = ' :: type[none, ctx: 0]';

/** bpftrace's escaping of string literals in AST dumps. */
function escape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += c;
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function printAst(program: A.Program): string {
  const lines: string[] = [];
  let depth = 0;
  const line = (text: string, d = depth): void => { lines.push(' '.repeat(d) + text); };

  const expr = (e: A.Expression): void => {
    switch (e.kind) {
      case 'Integer': line(`int: ${e.value}${NONE}`); return;
      case 'String': line(`string: ${escape(e.value)}${NONE}`); return;
      case 'Builtin': line(`builtin: ${e.name}${NONE}`); return;
      case 'Identifier': line(`identifier: ${e.name}${NONE}`); return;
      case 'StackMode': line(`stack_mode: ${e.name}${NONE}`); return;
      case 'PositionalParam': line(`param: ${e.count ? '$#' : `$${e.index}`}${NONE}`); return;
      case 'Variable': line(`variable: ${e.name}${NONE}`); return;
      case 'Map':
        line(`map: ${e.name}${NONE}`);
        nested(() => e.keys.forEach(expr));
        return;
      case 'Call':
        line(`call: ${e.name}${NONE}`);
        nested(() => e.args.forEach(expr));
        return;
      case 'Binary':
        line(`${e.op}${NONE}`);
        nested(() => { expr(e.left); expr(e.right); });
        return;
      case 'Unary':
        if (e.postfix) {
          expr(e.operand);
          nested(() => line(e.op));
        } else {
          line(e.op === '*' ? 'dereference' : e.op);
          nested(() => expr(e.operand));
        }
        return;
      case 'Ternary':
        line('?:');
        nested(() => { expr(e.cond); expr(e.then); expr(e.else); });
        return;
      case 'FieldAccess':
        line('.');
        nested(() => {
          if (e.arrow) {
            line('dereference');
            nested(() => expr(e.object));
          } else {
            expr(e.object);
          }
          line(e.field);
        });
        return;
      case 'TupleAccess':
        line('.');
        nested(() => { expr(e.tuple); line(String(e.index)); });
        return;
      case 'Index':
        line('[]');
        nested(() => { expr(e.object); expr(e.index); });
        return;
      case 'Cast':
        line(`(${e.typeName}${e.pointerDepth > 0 ? '*' : ''})`);
        nested(() => expr(e.operand));
        return;
      case 'Tuple':
        line('tuple:');
        nested(() => e.elements.forEach(expr));
        return;
    }
  };

  const statement = (s: A.Statement): void => {
    switch (s.kind) {
      case 'ExprStatement': expr(s.expr); return;
      case 'Jump': line(s.jump); return;
      case 'Assignment':
        line('=');
        nested(() => {
          expr(s.target);
          if (s.op === '=') {
            expr(s.value);
          } else {
            line(`${s.op.slice(0, -1)}${NONE}`);
            nested(() => { expr(s.target); expr(s.value); });
          }
        });
        return;
      case 'If':
        line('if');
        nested(() => {
          expr(s.cond);
          line('then');
          nested(() => s.then.statements.forEach(statement));
          if (s.else) {
            line('else');
            nested(() => s.else!.statements.forEach(statement));
          }
        });
        return;
      case 'Unroll':
        line('unroll');
        nested(() => {
          expr(s.count);
          line('block');
          nested(() => s.body.statements.forEach(statement));
        });
        return;
      case 'While':
        // bpftrace increments the depth twice and never restores it.
        line('while(');
        depth++;
        expr(s.cond);
        line(')');
        depth++;
        s.body.statements.forEach(statement);
        return;
    }
  };

  function nested(body: () => void): void {
    depth++;
    body();
    depth--;
  }

  if (program.cDefinitions) lines.push(program.cDefinitions);
  line('Program');
  depth++;
  for (const probe of program.probes) {
    for (const ap of probe.attachPoints) line(ap.name);
    nested(() => {
      if (probe.predicate) {
        line('pred');
        nested(() => expr(probe.predicate!.expr));
      }
      probe.block.statements.forEach(statement);
    });
  }
  return lines.join('\n') + '\n';
}
