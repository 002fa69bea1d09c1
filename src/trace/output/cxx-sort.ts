// bpftrace sorts map entries with C++ std::sort, which is not stable: entries with equal values come out in an
// order that depends on the input order and on the algorithm. To print ties exactly as bpftrace does, this is
// the same algorithm as GCC's libstdc++ std::sort (introsort, 16-element threshold, median-of-three pivot,
// final insertion sort), written from its documented structure.

type Less<T> = (a: T, b: T) => boolean;

const THRESHOLD = 16;

/** Sorts `items` in place exactly as libstdc++'s std::sort(first, last, comp) orders them. */
export function cxxSort<T>(items: T[], less: Less<T>): T[] {
  const n = items.length;
  if (n < 2) return items;
  introsortLoop(items, 0, n, 2 * Math.floor(Math.log2(n)), less);
  finalInsertionSort(items, 0, n, less);
  return items;
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

function introsortLoop<T>(a: T[], first: number, last: number, depth: number, less: Less<T>): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      heapSort(a, first, last, less);
      return;
    }
    depth--;
    const cut = partitionPivot(a, first, last, less);
    introsortLoop(a, cut, last, depth, less);
    last = cut;
  }
}

function partitionPivot<T>(a: T[], first: number, last: number, less: Less<T>): number {
  const mid = first + Math.floor((last - first) / 2);
  moveMedianToFirst(a, first, first + 1, mid, last - 1, less);
  return unguardedPartition(a, first + 1, last, first, less);
}

function moveMedianToFirst<T>(a: T[], result: number, x: number, y: number, z: number, less: Less<T>): void {
  if (less(a[x]!, a[y]!)) {
    if (less(a[y]!, a[z]!)) swap(a, result, y);
    else if (less(a[x]!, a[z]!)) swap(a, result, z);
    else swap(a, result, x);
  } else if (less(a[x]!, a[z]!)) swap(a, result, x);
  else if (less(a[y]!, a[z]!)) swap(a, result, z);
  else swap(a, result, y);
}

function unguardedPartition<T>(a: T[], first: number, last: number, pivot: number, less: Less<T>): number {
  for (;;) {
    while (less(a[first]!, a[pivot]!)) first++;
    last--;
    while (less(a[pivot]!, a[last]!)) last--;
    if (!(first < last)) return first;
    swap(a, first, last);
    first++;
  }
}

function finalInsertionSort<T>(a: T[], first: number, last: number, less: Less<T>): void {
  if (last - first > THRESHOLD) {
    insertionSort(a, first, first + THRESHOLD, less);
    for (let i = first + THRESHOLD; i < last; i++) unguardedLinearInsert(a, i, less);
  } else {
    insertionSort(a, first, last, less);
  }
}

function insertionSort<T>(a: T[], first: number, last: number, less: Less<T>): void {
  for (let i = first + 1; i < last; i++) {
    if (less(a[i]!, a[first]!)) {
      const v = a[i]!;
      for (let j = i; j > first; j--) a[j] = a[j - 1]!;
      a[first] = v;
    } else {
      unguardedLinearInsert(a, i, less);
    }
  }
}

function unguardedLinearInsert<T>(a: T[], i: number, less: Less<T>): void {
  const v = a[i]!;
  let next = i - 1;
  while (less(v, a[next]!)) {
    a[i] = a[next]!;
    i = next;
    next--;
  }
  a[i] = v;
}

// libstdc++ falls back to heap sort (std::partial_sort over the whole range) when recursion gets too deep.
function heapSort<T>(a: T[], first: number, last: number, less: Less<T>): void {
  const len = last - first;
  for (let parent = Math.floor((len - 2) / 2); parent >= 0; parent--) adjustHeap(a, first, parent, len, a[first + parent]!, less);
  for (let end = last - 1; end > first; end--) {
    const v = a[end]!;
    a[end] = a[first]!;
    adjustHeap(a, first, 0, end - first, v, less);
  }
}

function adjustHeap<T>(a: T[], base: number, hole: number, len: number, value: T, less: Less<T>): void {
  const top = hole;
  let child = hole;
  while (child < Math.floor((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (less(a[base + child]!, a[base + child - 1]!)) child--;
    a[base + hole] = a[base + child]!;
    hole = child;
  }
  if ((len & 1) === 0 && child === Math.floor((len - 2) / 2)) {
    child = 2 * (child + 1);
    a[base + hole] = a[base + child - 1]!;
    hole = child - 1;
  }
  // push_heap
  let parent = Math.floor((hole - 1) / 2);
  while (hole > top && less(a[base + parent]!, value)) {
    a[base + hole] = a[base + parent]!;
    hole = parent;
    parent = Math.floor((hole - 1) / 2);
  }
  a[base + hole] = value;
}
