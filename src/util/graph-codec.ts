/**
 * A compact binary codec for object graphs with shared references and cycles, made for the
 * Kconfig front end's snapshot (src/kconfig/frontend-cache.ts): some 600,000 plain objects for
 * the Linux arm64 tree, linked by `next`/`parent`/`menu` pointers into chains thousands deep.
 *
 * Why not a library: v8.serialize() (structured clone) recurses along every pointer and runs
 * out of stack on the menu tree's sibling chains, and JSON-based cycle encoders (flatted,
 * devalue) are several times slower to decode. This codec is iterative in both directions.
 *
 * What it keeps: plain objects (prototype Object.prototype or null; own enumerable string keys in
 * their order, a key whose value is `undefined` included), arrays (dense; holes read back as
 * undefined), Map and Set (in insertion order), strings, numbers (-0 and NaN included),
 * booleans, null and undefined (an object with a null prototype comes back as a plain object). Identity is kept: an object reached twice is decoded as one
 * object, cycles included. Anything else (functions, class instances, symbols, bigint,
 * WeakMap...) makes {@link encodeGraph} throw a {@link GraphCodecError}.
 *
 * Format (little-endian): `KBGC2\0`, u32 header length, header JSON (UTF-8: shapes = key lists
 * of plain objects, non-int32 numbers, the counts below), zero padding to a multiple of 4, then
 * an Int32Array of `strings` string end offsets (in characters, into the string blob) followed
 * by the body, `words` int32 records, one per object in id order, then the string blob: every
 * string concatenated, in latin1 (one byte per character) when all characters are below U+0100,
 * else in UTF-16LE (`wide`). The decoder reads the blob as one string and takes each string as
 * a slice of it (V8 makes sliced strings that point into the one big parent, which is never
 * copied by the young-generation GC), instead of parsing and copying megabytes of help texts
 * one by one. Objects are numbered by kind (see groupByKind(): `groups` in the header lists the
 * runs of one kind and their lengths). Records:
 *   plain object with shape k: `k + 3`, then one value per key;
 *   array: `0`, length, values;  Map: `1`, size, key, value, ...;  Set: `2`, size, values.
 * A value is one int32: low 3 bits a tag, the rest its payload: 0 constant (0 null,
 * 1 undefined, 2 false, 3 true), 1 small integer (signed 29 bits), 2 number-table index,
 * 3 string-table index, 4 object id.
 */

/** Thrown by {@link encodeGraph} for a value it cannot encode and by {@link decodeGraph} for a malformed buffer. */
export class GraphCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphCodecError';
  }
}

const MAGIC = Buffer.from('KBGC2\0', 'latin1');
const T_CONST = 0;
const T_INT = 1;
const T_NUM = 2;
const T_STR = 3;
const T_REF = 4;
const K_ARRAY = 0;
const K_MAP = 1;
const K_SET = 2;
const K_OBJECT = 3;
const INT_MIN = -(2 ** 28);
const INT_MAX = 2 ** 28 - 1;

interface Header {
  shapes: string[][];
  numbers: (number | string)[];
  /** Number of objects (records in the body). */
  objects: number;
  /** The root value (encoded as a body value). */
  root: number;
  /** The body's runs of records: [kind, count] (kind: K_ARRAY, K_MAP, K_SET, or K_OBJECT + shape index). */
  groups: [number, number][];
  /** Number of strings (end offsets before the body). */
  strings: number;
  /** Int32 words of the body. */
  words: number;
  /** Whether the string blob is UTF-16LE (some character above U+00FF) rather than latin1. */
  wide: boolean;
}

/** A growable Int32Array. */
class IntOut {
  buf = new Int32Array(1 << 16);
  n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = v;
  }
}

/** Options of {@link encodeGraph}. */
export interface EncodeOptions {
  /**
   * Maps an object to the one that stands for it: every reference to `o` is encoded as a
   * reference to `canonical(o)` (return `o` itself to keep it). Used to share equal immutable
   * nodes; what a consumer may then no longer do (mutate one of them) is its own contract.
   */
  canonical?: (o: object) => object;
}

/**
 * A node of the trie of the plain objects' key lists: it stands for the keys on the path from
 * the root to it, in order. Finding an object's shape walks its keys down the trie (comparisons
 * of property names, which V8 internalises: pointer comparisons) instead of joining them into a
 * signature string that a Map then hashes (Linux arm64 6.1, 257,000 objects, CPU profiles of
 * cold encodes: Object.keys, join and lookup 8.5 % of the encode; Object.keys and the walk 6.6 %,
 * of an encode with less of everything else. A for...in walk, which makes no array of keys,
 * measured no faster than Object.keys: not used).
 */
class KeyNode {
  /** Index in `shapes` of the key list that ends here, or -1 (no object had exactly these keys yet). */
  shape = -1;
  /** The keys of the children, in the order they were added, and the children. */
  private readonly keys: string[] = [];
  private readonly kids: KeyNode[] = [];
  /** All the children by key, once there are more than {@link KEY_SCAN} (scanned beyond that). */
  private more: Map<string, KeyNode> | undefined = undefined;

  /** The child for `key`, added if new. */
  child(key: string): KeyNode {
    const keys = this.keys;
    const n = keys.length < KEY_SCAN ? keys.length : KEY_SCAN;
    for (let i = 0; i < n; i++) if (keys[i] === key) return this.kids[i];
    return this.more?.get(key) ?? this.add(key);
  }

  private add(key: string): KeyNode {
    const kid = new KeyNode();
    this.keys.push(key);
    this.kids.push(kid);
    if (this.keys.length > KEY_SCAN) {
      if (this.more === undefined) this.more = new Map(this.keys.map((k, i) => [k, this.kids[i]]));
      else this.more.set(key, kid);
    }
    return kid;
  }
}

/**
 * Children of a KeyNode found by a linear scan (beyond: a Map lookup); the Kconfig snapshot's
 * root has 9 (the first keys of its 14 shapes), its other nodes one or two.
 */
const KEY_SCAN = 16;

/** The kind of a plain object in encodeGraph's `kinds` (with K_ARRAY, K_MAP, K_SET): its shape is found when its record is written. */
const K_PLAIN = K_OBJECT;

/**
 * Encode `root` and everything reachable from it.
 * @param root any value of the kinds listed in the module comment; opts: {@link EncodeOptions}
 * @returns the encoded bytes (see the module comment for the format)
 * @throws GraphCodecError naming the path-less kind of an unsupported value (a function, a
 *   class instance, a symbol, a bigint)
 */
export function encodeGraph(root: unknown, opts: EncodeOptions = {}): Buffer {
  const canonical = opts.canonical;
  const ids = new Map<object, number>();
  const objects: object[] = [];
  /**
   * The kind of each object, by id (see K_PLAIN): tested once, when the object is first met,
   * instead of Array.isArray and instanceof again for its record (2.4 % of a cold encode's
   * CPU profile before).
   */
  const kinds: number[] = [];
  const strings: string[] = [];
  const stringIds = new Map<string, number>();
  const shapes: string[][] = [];
  const keyRoot = new KeyNode();
  const numbers: (number | string)[] = [];
  const body = new IntOut();
  /** Where each object's record starts in `body`, by id. */
  const starts = new IntOut();

  /** Number a new object; @throws GraphCodecError for an object of a kind the codec does not keep */
  const add = (o: object): number => {
    const proto: unknown = Object.getPrototypeOf(o);
    let kind: number;
    // Plain objects first (most of them): with such a prototype, an object is a Map or a Set for
    // no one (instanceof), but it may still be an array (Array.isArray does not look at it).
    if (proto === Object.prototype || proto === null) kind = Array.isArray(o) ? K_ARRAY : K_PLAIN;
    else if (Array.isArray(o)) kind = K_ARRAY;
    else if (o instanceof Map) kind = K_MAP;
    else if (o instanceof Set) kind = K_SET;
    else throw new GraphCodecError(`cannot encode an instance of ${((proto as { constructor?: { name?: string } } | null)?.constructor?.name) ?? 'an unknown class'}`);
    const id = objects.length;
    objects.push(o);
    kinds.push(kind);
    ids.set(o, id);
    return id;
  };

  const value = (v: unknown): number => {
    switch (typeof v) {
      case 'string': {
        let id = stringIds.get(v);
        if (id === undefined) {
          id = strings.length;
          strings.push(v);
          stringIds.set(v, id);
        }
        return (id << 3) | T_STR;
      }
      case 'number':
        if (Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX && !Object.is(v, -0)) return (v << 3) | T_INT;
        numbers.push(Number.isFinite(v) ? v : String(v)); // JSON has no NaN/Infinity
        if (Object.is(v, -0)) numbers[numbers.length - 1] = '-0';
        return ((numbers.length - 1) << 3) | T_NUM;
      case 'boolean':
        return ((v ? 3 : 2) << 3) | T_CONST;
      case 'undefined':
        return (1 << 3) | T_CONST;
      case 'object': {
        if (v === null) return T_CONST;
        const o = canonical ? canonical(v) : v;
        const id = ids.get(o);
        return ((id === undefined ? add(o) : id) << 3) | T_REF;
      }
      default:
        throw new GraphCodecError(`cannot encode a ${typeof v}`);
    }
  };

  const rootValue = value(root);
  // Objects are numbered as they are first seen; their records are written in that order.
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i];
    starts.push(body.n);
    switch (kinds[i]) {
      case K_ARRAY: {
        const a = o as unknown[];
        body.push(K_ARRAY);
        body.push(a.length);
        for (let j = 0; j < a.length; j++) body.push(value(a[j]));
        break;
      }
      case K_MAP:
        body.push(K_MAP);
        body.push((o as Map<unknown, unknown>).size);
        for (const [k, v] of o as Map<unknown, unknown>) {
          body.push(value(k));
          body.push(value(v));
        }
        break;
      case K_SET:
        body.push(K_SET);
        body.push((o as Set<unknown>).size);
        for (const v of o as Set<unknown>) body.push(value(v));
        break;
      default: {
        const keys = Object.keys(o);
        let node = keyRoot;
        for (let j = 0; j < keys.length; j++) node = node.child(keys[j]);
        if (node.shape < 0) {
          // The decoder's object literals would give such a key the prototype instead.
          if (keys.includes('__proto__')) throw new GraphCodecError('cannot encode an own property named __proto__');
          node.shape = shapes.length;
          shapes.push(keys);
        }
        body.push(node.shape + K_OBJECT);
        const rec = o as Record<string, unknown>;
        for (let j = 0; j < keys.length; j++) body.push(value(rec[keys[j]]));
      }
    }
  }
  const { groups, records, root: groupedRoot } = groupByKind(body.buf.subarray(0, body.n), starts.buf.subarray(0, starts.n), shapes.length, rootValue);
  const blobText = strings.join('');
  const wide = /[^\u0000-\u00ff]/.test(blobText);
  const ends = new Int32Array(strings.length);
  for (let i = 0, end = 0; i < strings.length; i++) ends[i] = end += strings[i].length;
  const header: Header = { shapes, numbers, objects: objects.length, root: groupedRoot, groups, strings: strings.length, words: records.length, wide };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  let at = MAGIC.length + 4 + headerBytes.length;
  const pad = (4 - (at % 4)) % 4; // the int32 part is read in place as an Int32Array: align it
  // Every byte is written below (the padding included): not zero-filled first, and the blob is
  // encoded straight into place, not into a Buffer of its own copied after (this assembly at the
  // size of the Linux arm64 snapshot, 10 MB: 30-40 -> 21-28 ms). Never a slice of Node's pool.
  const out = Buffer.allocUnsafeSlow(at + pad + (ends.length + records.length) * 4 + blobText.length * (wide ? 2 : 1));
  MAGIC.copy(out, 0);
  out.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(out, MAGIC.length + 4);
  out.fill(0, at, at + pad);
  at += pad;
  Buffer.from(ends.buffer, 0, ends.length * 4).copy(out, at);
  at += ends.length * 4;
  Buffer.from(records.buffer, records.byteOffset, records.length * 4).copy(out, at);
  at += records.length * 4;
  out.write(blobText, at, wide ? 'utf16le' : 'latin1');
  return out;
}

/**
 * Renumber the objects so that those of one kind (one shape, or arrays, Maps, Sets) have
 * consecutive ids, kinds in the order of their first object, and rewrite the records in the new
 * id order with their references renumbered. The decoder then makes and fills each shape's
 * objects in one loop of its own (one hidden class, one allocation site: code the JIT
 * optimises early), instead of one loop that switches between all of them.
 * @param body the records in first-seen id order (each starts with its kind word: K_ARRAY,
 *   K_MAP, K_SET or K_OBJECT + shape); starts: where each object's record starts in it, by id;
 *   nshapes: the number of shapes; root: the root value
 * @returns the runs [kind, count], the rewritten records, the root value renumbered
 */
function groupByKind(body: Int32Array, starts: Int32Array, nshapes: number, root: number): { groups: [number, number][]; records: Int32Array; root: number } {
  const n = starts.length;
  const end = (i: number): number => (i + 1 < n ? starts[i + 1] : body.length);
  // Kinds are small integers: arrays indexed by kind, not Maps (1.2 million Map operations on
  // the Linux arm64 tree); the body read front to back once, the records found by `starts`
  // rather than by their lengths: 30-32 -> 19-21 ms (first, cold, encode).
  const counts = new Int32Array(K_OBJECT + nshapes);
  const words = new Int32Array(K_OBJECT + nshapes);
  const order: number[] = []; // kinds in first-seen order
  for (let i = 0; i < n; i++) {
    const kind = body[starts[i]];
    if (counts[kind]++ === 0) order.push(kind);
    words[kind] += end(i) - starts[i];
  }
  // Where each kind's run starts: its next id and its next record's position.
  const nextId = new Int32Array(K_OBJECT + nshapes);
  const nextAt = new Int32Array(K_OBJECT + nshapes);
  for (let g = 1; g < order.length; g++) {
    nextId[order[g]] = nextId[order[g - 1]] + counts[order[g - 1]];
    nextAt[order[g]] = nextAt[order[g - 1]] + words[order[g - 1]];
  }
  const newId = new Int32Array(n);
  for (let i = 0; i < n; i++) newId[i] = nextId[body[starts[i]]]++;
  // The records in their old order (the body read once, front to back), each to its kind's run.
  const records = new Int32Array(body.length);
  for (let i = 0; i < n; i++) {
    let p = starts[i];
    const e = end(i);
    const kind = body[p];
    let q = nextAt[kind];
    nextAt[kind] += e - p;
    records[q++] = body[p++]; // the kind word
    if (kind < K_OBJECT) records[q++] = body[p++]; // the count
    for (; p < e; p++) {
      const x = body[p];
      records[q++] = (x & 7) === T_REF ? (newId[x >>> 3] << 3) | T_REF : x;
    }
  }
  const remap = (x: number): number => ((x & 7) === T_REF ? (newId[x >>> 3] << 3) | T_REF : x);
  return { groups: order.map((kind): [number, number] => [kind, counts[kind]]), records, root: remap(root) };
}

/**
 * The value of the word `x` as JavaScript source (the names objs, strs, v in scope): the common
 * kinds (references, strings, small integers, null) inline, the rest through v().
 */
const VALUE_INLINE = `(x & 7) === ${T_REF} ? objs[x >>> 3] : (x & 7) === ${T_STR} ? strs[x >>> 3] : (x & 7) === ${T_INT} ? x >> 3 : x === ${T_CONST} ? null : v(x)`;

/**
 * A Filler for the `n` arrays, Maps or Sets from id `id` on, their records at `p` (kind word,
 * count, then `width` words per element), with the element values inline as a shape's fields are.
 * @param width words per element: 1 (array, Set: the value in `x`), 2 (Map: the key in `k`, the value in `x`)
 * @param store the statement that puts an element into the collection `c` (the index is `j`)
 */
function collectionFiller(width: 1 | 2, store: string): Filler {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(
    'objs', 'id', 'n', 'b', 'p', 'v', 'strs',
    `for (const end = id + n; id < end; id++) {
  const len = b[p + 1];
  const c = objs[id];
  let x, k;
  for (let j = 0; j < len; j++) {
    ${width === 2 ? `x = b[p + 2 + 2 * j];
    k = ${VALUE_INLINE};
    x = b[p + 3 + 2 * j];` : 'x = b[p + 2 + j];'}
    ${store}
  }
  p += 2 + ${width} * len;
}
return p;`,
  ) as Filler;
}

const fillArrays = collectionFiller(1, `c[j] = ${VALUE_INLINE};`);
const fillMaps = collectionFiller(2, `c.set(k, ${VALUE_INLINE});`);
const fillSets = collectionFiller(1, `c.add(${VALUE_INLINE});`);

/** Makes the `n` objects of one shape from id `id` on (`objs[id] = {k0: null, ...}`). */
type Maker = (objs: unknown[], id: number, n: number) => void;
/**
 * Fills the `n` objects of one shape from id `id` on from their records at `p`
 * (`o.k0 = value(b[p + 1]); o.k1 = ...`); returns the position after them, or -1 when a record's
 * kind word is not the shape's.
 */
type Filler = (objs: unknown[], id: number, n: number, b: Int32Array, p: number, v: (x: number) => unknown, strs: string[]) => number;

/** The maker and the filler of one shape, compiled for it (one hidden class per shape). */
function shapeFunctions(keys: string[], shape: number): { make: Maker; fill: Filler } {
  const lits = keys.map((k) => JSON.stringify(k));
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('objs', 'id', 'n', `for (const end = id + n; id < end; id++) objs[id] = {${lits.map((l) => `${l}: null`).join(', ')}};`) as Maker;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fill = new Function(
    'objs', 'id', 'n', 'b', 'p', 'v', 'strs',
    `for (const end = id + n; id < end; id++, p += ${keys.length + 1}) {
  if (b[p] !== ${shape + K_OBJECT}) return -1;
  const o = objs[id];
  let x;
  ${lits.map((l, i) => `x = b[p + ${i + 1}]; o[${l}] = ${VALUE_INLINE};`).join('\n  ')}
}
return p;`,
  ) as Filler;
  return { make, fill };
}

/**
 * The maker and the filler of one shape for a run of a single object (the snapshot's root, the
 * tree, the context): not compiled (compiling costs more than it saves for one object); the
 * object gets its keys in the shape's order, as from the literal.
 */
function genericShapeFunctions(keys: string[], shape: number): { make: Maker; fill: Filler } {
  return {
    make: (objs, id, n) => {
      for (const end = id + n; id < end; id++) objs[id] = {};
    },
    fill: (objs, id, n, b, p, v) => {
      for (const end = id + n; id < end; id++, p += keys.length + 1) {
        if (b[p] !== shape + K_OBJECT) return -1;
        const o = objs[id] as Record<string, unknown>;
        for (let i = 0; i < keys.length; i++) o[keys[i]] = v(b[p + 1 + i]);
      }
      return p;
    },
  };
}

/**
 * Makes the `n` arrays (at their lengths), Maps or Sets (empty) of one run from id `id` on, their
 * records at `p` (a small function of its own: the JIT compiles it early, unlike the long
 * decodeGraph()).
 * @returns the position after them, or -1 when a record is not of `kind` or runs past the body
 */
function makeCollections(objs: unknown[], id: number, n: number, kind: number, b: Int32Array, p: number): number {
  const words = b.length;
  for (const end = id + n; id < end; id++) {
    if (p + 1 >= words || b[p] !== kind) return -1;
    const len = b[p + 1];
    objs[id] = kind === K_ARRAY ? new Array(len) : kind === K_MAP ? new Map() : new Set();
    p += 2 + (kind === K_MAP ? 2 * len : len);
  }
  return p;
}

/**
 * Decode what {@link encodeGraph} wrote.
 * @param bytes the encoded buffer (not retained: the result shares nothing with it)
 * @returns the root value, with every object, array, Map and Set rebuilt
 * @throws GraphCodecError for a buffer that is not this format (wrong magic, truncated)
 */
export function decodeGraph(bytes: Buffer): unknown {
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new GraphCodecError('not a graph-codec buffer');
  const hlen = bytes.readUInt32LE(MAGIC.length);
  let at = MAGIC.length + 4;
  if (at + hlen > bytes.length) throw new GraphCodecError('truncated graph-codec header');
  const header = JSON.parse(bytes.toString('utf8', at, at + hlen)) as Header;
  at += hlen;
  at += (4 - (at % 4)) % 4;
  const nstr = header.strings;
  const words = header.words;
  const counts = [nstr, words, header.objects];
  if (!counts.every((n) => Number.isInteger(n) && n >= 0) || at + (nstr + words) * 4 > bytes.length || header.objects > words) {
    throw new GraphCodecError('truncated graph-codec body');
  }
  // Aligned views when possible, else copies.
  const ints = (from: number, n: number): Int32Array => ((bytes.byteOffset + from) % 4 === 0
    ? new Int32Array(bytes.buffer, bytes.byteOffset + from, n)
    : new Int32Array(Uint8Array.prototype.slice.call(bytes, from, from + n * 4).buffer));
  const ends = ints(at, nstr);
  at += nstr * 4;
  const b = ints(at, words);
  at += words * 4;
  const blobChars = nstr === 0 ? 0 : ends[nstr - 1];
  if (bytes.length - at !== blobChars * (header.wide ? 2 : 1)) throw new GraphCodecError('graph-codec string blob length mismatch');
  // One string for all of them; each string is a slice of it (see the module comment).
  const blob = bytes.toString(header.wide ? 'utf16le' : 'latin1', at);
  const strings: string[] = new Array<string>(nstr);
  for (let i = 0, start = 0; i < nstr; i++) {
    const end = ends[i];
    if (end < start || end > blobChars) throw new GraphCodecError('bad graph-codec string offset');
    strings[i] = blob.slice(start, end);
    start = end;
  }
  const { shapes } = header;
  const numbers = header.numbers.map((n) => (typeof n === 'number' ? n : n === '-0' ? -0 : Number(n)));
  // Compiled on first use, for a run of more than one object (see genericShapeFunctions()).
  const compiled: ({ make: Maker; fill: Filler } | undefined)[] = [];
  const fnsFor = (shape: number, count: number): { make: Maker; fill: Filler } | undefined => {
    const keys = shapes[shape];
    if (keys === undefined) return undefined;
    return count <= 1 ? genericShapeFunctions(keys, shape) : (compiled[shape] ??= shapeFunctions(keys, shape));
  };
  // Made at its final length (one allocation, not a backing store regrown and copied).
  const objs: unknown[] = new Array(header.objects);
  const groups = header.groups;
  if (!Array.isArray(groups)) throw new GraphCodecError('bad graph-codec header');
  const groupAt: number[] = [];

  // Pass 1: make every object (so that forward references resolve), run by run.
  let p = 0;
  let made = 0;
  for (const [kind, count] of groups) {
    groupAt.push(p);
    if (!(Number.isInteger(count) && count >= 0 && made + count <= header.objects)) throw new GraphCodecError('bad graph-codec header');
    if (kind >= K_OBJECT) {
      const f = fnsFor(kind - K_OBJECT, count);
      if (f === undefined) throw new GraphCodecError(`bad graph-codec record kind ${kind}`);
      f.make(objs, made, count);
      p += count * (1 + shapes[kind - K_OBJECT].length);
    } else {
      p = makeCollections(objs, made, count, kind, b, p);
      if (p < 0) throw new GraphCodecError('truncated graph-codec body');
    }
    made += count;
    if (p > words) throw new GraphCodecError('truncated graph-codec body');
  }
  if (p !== words || made !== header.objects) throw new GraphCodecError('graph-codec body length mismatch');

  const CONSTS = [null, undefined, false, true];
  const v = (x: number): unknown => {
    switch (x & 7) {
      case T_REF:
        return objs[x >>> 3];
      case T_STR:
        return strings[x >>> 3];
      case T_INT:
        return x >> 3;
      case T_CONST:
        return CONSTS[x >>> 3];
      case T_NUM:
        return numbers[x >>> 3];
      default:
        throw new GraphCodecError(`bad graph-codec value tag ${x & 7}`);
    }
  };

  // Pass 2: fill them in, run by run.
  let id = 0;
  groups.forEach(([kind, count], g) => {
    const q = groupAt[g];
    if (kind >= K_OBJECT) {
      if (fnsFor(kind - K_OBJECT, count)!.fill(objs, id, count, b, q, v, strings) < 0) throw new GraphCodecError('graph-codec record kind mismatch');
      id += count;
      return;
    }
    (kind === K_ARRAY ? fillArrays : kind === K_MAP ? fillMaps : fillSets)(objs, id, count, b, q, v, strings);
    id += count;
  });
  return v(header.root);
}
