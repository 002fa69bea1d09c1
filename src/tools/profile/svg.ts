// A self-contained interactive SVG flame graph of profiled stacks. Each frame is a rectangle as wide as its share
// of the samples, stacked root at the bottom; colour says what kind of frame it is (process, user, kernel,
// unknown). The embedded script zooms into a clicked frame (it becomes full width, its ancestors stay as dimmed
// full-width bars, everything else hides), resets, and highlights a search.
import type { ProfiledStack } from './stacks.js';

export type FrameKind = 'root' | 'process' | 'user' | 'kernel' | 'unknown';

interface Node {
  name: string;
  kind: FrameKind;
  samples: number;
  children: Map<string, Node>;
}

export interface FlameGraphOptions {
  title?: string;
  subtitle?: string;
  /** Image width in pixels (default 1200). */
  width?: number;
}

const FRAME_HEIGHT = 16;
const FONT_SIZE = 12;
const CHAR_WIDTH = FONT_SIZE * 0.59;
const PAD = 10;
const TOP = 60;
const BOTTOM = 34;
/** Frames narrower than this (at full view) are left out, as are their children: invisible, and they bloat files. */
const MIN_WIDTH = 0.1;

/** The tree of frames: root → process (comm) → user frames root first → kernel frames root first. */
export function buildFlameTree(stacks: readonly ProfiledStack[]): Node {
  const root: Node = { name: 'all', kind: 'root', samples: 0, children: new Map() };
  for (const s of stacks) {
    const path: Array<[string, FrameKind]> = [[s.comm, 'process']];
    if (s.user) {
      if (s.user.missed) path.push(['[Missed User Stack]', 'unknown']);
      else for (let i = s.user.frames.length - 1; i >= 0; i--) path.push([s.user.frames[i]!.name, 'user']);
    }
    if (s.kernel) {
      if (s.kernel.missed) path.push(['[Missed Kernel Stack]', 'unknown']);
      else for (let i = s.kernel.frames.length - 1; i >= 0; i--) path.push([s.kernel.frames[i]!.name, 'kernel']);
    }
    root.samples += s.count;
    let node = root;
    for (const [name, kind0] of path) {
      const kind: FrameKind = name.startsWith('[') && kind0 !== 'process' ? 'unknown' : kind0;
      const key = `${kind}\0${name}`;
      let child = node.children.get(key);
      if (!child) {
        child = { name, kind, samples: 0, children: new Map() };
        node.children.set(key, child);
      }
      child.samples += s.count;
      node = child;
    }
  }
  return root;
}

/** A stable pseudo-random number in [0, 1) from a name, so a function keeps its colour between graphs. */
function nameHash(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1000) / 1000;
}

function colour(kind: FrameKind, name: string): string {
  const v = nameHash(name);
  switch (kind) {
    case 'root': return 'rgb(190,190,190)';
    case 'process': return `rgb(${120 + Math.round(v * 30)},${150 + Math.round(v * 30)},${200 + Math.round(v * 40)})`;
    case 'kernel': return `rgb(${40 + Math.round(v * 50)},${170 + Math.round(v * 50)},${170 + Math.round(v * 40)})`;
    case 'unknown': return 'rgb(210,210,210)';
    case 'user': return `rgb(${205 + Math.round(v * 50)},${Math.round(v * 200)},${Math.round(v * 55)})`;
  }
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The label that fits `width` pixels ("" when not even two characters do). */
function fitLabel(name: string, width: number): string {
  const chars = Math.floor((width - 6) / CHAR_WIDTH);
  if (chars < 3) return '';
  return name.length <= chars ? name : `${name.slice(0, chars - 2)}..`;
}

export function flameGraphSvg(stacks: readonly ProfiledStack[], o: FlameGraphOptions = {}): string {
  const width = o.width ?? 1200;
  const frameWidth = width - 2 * PAD;
  const root = buildFlameTree(stacks);
  const total = root.samples;
  const rows: Array<{ node: Node; start: number; depth: number }> = [];
  let maxDepth = 0;
  const walk = (node: Node, start: number, depth: number) => {
    if (total > 0 && (node.samples / total) * frameWidth < MIN_WIDTH) return;
    rows.push({ node, start, depth });
    maxDepth = Math.max(maxDepth, depth);
    // Children in name order, as flame graphs do: the x axis is not time, sorting merges the eye's work.
    let at = start;
    for (const child of [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      walk(child, at, depth + 1);
      at += child.samples;
    }
  };
  walk(root, 0, 0);
  const height = TOP + (maxDepth + 1) * FRAME_HEIGHT + BOTTOM;
  const scale = total > 0 ? frameWidth / total : 0;
  const frames = rows.map(({ node, start, depth }) => {
    const x = PAD + start * scale;
    const w = total > 0 ? node.samples * scale : frameWidth;
    const y = TOP + (maxDepth - depth) * FRAME_HEIGHT;
    const pct = total > 0 ? ((node.samples / total) * 100).toFixed(2) : '0.00';
    const title = `${node.name} (${node.samples} sample${node.samples === 1 ? '' : 's'}, ${pct}%)`;
    return `<g class="f" data-s="${start}" data-n="${node.samples}" data-d="${depth}" data-k="${node.kind}">` +
      `<title>${escapeXml(title)}</title>` +
      `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${FRAME_HEIGHT - 1}" rx="2" fill="${colour(node.kind, node.name)}"/>` +
      `<text x="${(x + 3).toFixed(2)}" y="${y + FRAME_HEIGHT - 4}" data-name="${escapeXml(node.name)}">${escapeXml(fitLabel(node.name, w))}</text></g>`;
  });
  const title = o.title ?? 'Flame Graph';
  return `<?xml version="1.0" standalone="no"?>
<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-total="${total}">
<style>
  text { font-family: monospace; font-size: ${FONT_SIZE}px; fill: rgb(0,0,0); }
  g.f text { pointer-events: none; }
  g.f:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; cursor: pointer; }
  g.f.dim rect { opacity: 0.5; }
  g.f.hide { display: none; }
  g.f.match rect { fill: rgb(230,0,230); }
  .button { cursor: pointer; fill: rgb(0,0,160); }
  .button.off { display: none; }
  #title { font-size: 17px; text-anchor: middle; }
  #subtitle { fill: rgb(90,90,90); text-anchor: middle; }
</style>
<rect x="0" y="0" width="${width}" height="${height}" fill="rgb(248,248,248)"/>
<text id="title" x="${width / 2}" y="24">${escapeXml(title)}</text>
<text id="subtitle" x="${width / 2}" y="42">${escapeXml(o.subtitle ?? `${total} samples`)}</text>
<text id="reset" class="button off" x="${PAD}" y="24">Reset Zoom</text>
<text id="search" class="button" x="${width - PAD - 120}" y="24">Search</text>
<text id="unsearch" class="button off" x="${width - PAD - 60}" y="24">Reset</text>
<text id="details" x="${PAD}" y="${height - 12}"> </text>
<text id="matched" x="${width - PAD - 160}" y="${height - 12}"> </text>
<g id="frames">
${frames.join('\n')}
</g>
<script type="text/ecmascript"><![CDATA[
(function () {
  var PAD = ${PAD}, FULL = ${frameWidth}, CHAR = ${CHAR_WIDTH};
  var all = Array.prototype.slice.call(document.querySelectorAll('g.f'));
  var num = function (g, k) { return Number(g.getAttribute('data-' + k)); };
  var root = all.filter(function (g) { return num(g, 'd') === 0; })[0];
  var byId = function (id) { return document.getElementById(id); };
  function label(g, w) {
    var t = g.querySelector('text'), name = t.getAttribute('data-name'), chars = Math.floor((w - 6) / CHAR);
    t.textContent = chars < 3 ? '' : name.length <= chars ? name : name.slice(0, chars - 2) + '..';
  }
  function place(g, x, w) {
    var r = g.querySelector('rect');
    r.setAttribute('x', x.toFixed(2));
    r.setAttribute('width', w.toFixed(2));
    g.querySelector('text').setAttribute('x', (x + 3).toFixed(2));
    label(g, w);
  }
  // Zoom: the clicked frame's subtree spans the full width; its ancestors stay as dimmed full bars.
  function zoom(target) {
    var s0 = num(target, 's'), n0 = num(target, 'n'), d0 = num(target, 'd');
    all.forEach(function (g) {
      var s = num(g, 's'), n = num(g, 'n'), d = num(g, 'd');
      g.classList.remove('dim', 'hide');
      if (d >= d0 && s >= s0 && s + n <= s0 + n0) place(g, PAD + (s - s0) / n0 * FULL, n / n0 * FULL);
      else if (d < d0 && s <= s0 && s + n >= s0 + n0) { g.classList.add('dim'); place(g, PAD, FULL); }
      else g.classList.add('hide');
    });
    byId('reset').classList.toggle('off', target === root);
  }
  function search(pattern) {
    var re, seen = 0, total = root ? num(root, 'n') : 0, counted = [];
    try { re = new RegExp(pattern); } catch (e) { return; }
    all.forEach(function (g) {
      var hit = re.test(g.querySelector('text').getAttribute('data-name'));
      g.classList.toggle('match', hit);
      // Count each matching subtree once (not again for matching descendants).
      if (hit && !counted.some(function (c) { return num(g, 's') >= c[0] && num(g, 's') < c[1] && num(g, 'd') > c[2]; })) {
        counted.push([num(g, 's'), num(g, 's') + num(g, 'n'), num(g, 'd')]);
        seen += num(g, 'n');
      }
    });
    byId('matched').textContent = 'Matched: ' + (total ? (seen / total * 100).toFixed(1) : '0') + '%';
    byId('unsearch').classList.remove('off');
  }
  document.documentElement.addEventListener('click', function (e) {
    var g = e.target.closest ? e.target.closest('g.f') : null;
    if (g) return zoom(g);
    var id = e.target.id;
    if (id === 'reset' && root) zoom(root);
    if (id === 'search') { var p = window.prompt('Search for (regular expression):', ''); if (p) search(p); }
    if (id === 'unsearch') {
      all.forEach(function (g) { g.classList.remove('match'); });
      byId('matched').textContent = ' ';
      byId('unsearch').classList.add('off');
    }
  });
  document.documentElement.addEventListener('mouseover', function (e) {
    var g = e.target.closest ? e.target.closest('g.f') : null;
    if (g) byId('details').textContent = g.querySelector('title').textContent;
  });
})();
]]></script>
</svg>
`;
}
