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
 * Format (little-endian): `KBGC1\0`, u32 header length, header JSON (UTF-8: strings, shapes =
 * key lists of plain objects, non-int32 numbers), then the body, an Int32Array of records,
 * one per object in id order (id 0 is the root when it is an object):
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

const MAGIC = Buffer.from('KBGC1\0', 'latin1');
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
  strings: string[];
  shapes: string[][];
  numbers: (number | string)[];
  /** Number of objects (records in the body). */
  objects: number;
  /** The root value (encoded as a body value). */
  root: number;
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
  const strings: string[] = [];
  const stringIds = new Map<string, number>();
  const shapes: string[][] = [];
  const shapeIds = new Map<string, number>();
  const numbers: (number | string)[] = [];
  const body = new IntOut();

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
        let id = ids.get(o);
        if (id === undefined) {
          const proto = Object.getPrototypeOf(o);
          if (!(Array.isArray(o) || o instanceof Map || o instanceof Set || proto === Object.prototype || proto === null)) {
            throw new GraphCodecError(`cannot encode an instance of ${(proto?.constructor?.name as string | undefined) ?? 'an unknown class'}`);
          }
          id = objects.length;
          objects.push(o);
          ids.set(o, id);
        }
        return (id << 3) | T_REF;
      }
      default:
        throw new GraphCodecError(`cannot encode a ${typeof v}`);
    }
  };

  const rootValue = value(root);
  // Objects are numbered as they are first seen; their records are written in that order.
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i];
    if (Array.isArray(o)) {
      body.push(K_ARRAY);
      body.push(o.length);
      for (let j = 0; j < o.length; j++) body.push(value(o[j]));
    } else if (o instanceof Map) {
      body.push(K_MAP);
      body.push(o.size);
      for (const [k, v] of o) {
        body.push(value(k));
        body.push(value(v));
      }
    } else if (o instanceof Set) {
      body.push(K_SET);
      body.push(o.size);
      for (const v of o) body.push(value(v));
    } else {
      const keys = Object.keys(o);
      if (keys.includes('__proto__')) throw new GraphCodecError('cannot encode an own property named __proto__');
      const sig = keys.join('\u0000');
      let k = shapeIds.get(sig);
      if (k === undefined) {
        k = shapes.length;
        shapes.push(keys);
        shapeIds.set(sig, k);
      }
      body.push(k + K_OBJECT);
      const rec = o as Record<string, unknown>;
      for (const key of keys) body.push(value(rec[key]));
    }
  }
  const header: Header = { strings, shapes, numbers, objects: objects.length, root: rootValue };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(MAGIC.length + 4 + headerBytes.length + 3 + body.n * 4);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(out, MAGIC.length + 4);
  let at = MAGIC.length + 4 + headerBytes.length;
  const pad = (4 - (at % 4)) % 4; // the body is read in place as an Int32Array: align it
  out.fill(0, at, at + pad);
  at += pad;
  Buffer.from(body.buf.buffer, 0, body.n * 4).copy(out, at);
  return out.subarray(0, at + body.n * 4);
}

/** `o.k0 = v(b[p]); o.k1 = v(b[p + 1]); ...` for one shape (one hidden class per shape). */
type Filler = (o: Record<string, unknown>, b: Int32Array, p: number, v: (x: number) => unknown, objs: unknown[], strs: string[]) => void;
type Maker = () => Record<string, unknown>;

function shapeFunctions(keys: string[]): { make: Maker; fill: Filler } {
  const lits = keys.map((k) => JSON.stringify(k));
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(`return {${lits.map((l) => `${l}: null`).join(', ')}};`) as Maker;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  // The common kinds inline (references, strings, small integers); the rest through v().
  const fill = new Function(
    'o', 'b', 'p', 'v', 'objs', 'strs',
    `let x;\n${lits.map((l, i) => `x = b[p + ${i}]; o[${l}] = (x & 7) === ${T_REF} ? objs[x >>> 3] : (x & 7) === ${T_STR} ? strs[x >>> 3] : (x & 7) === ${T_INT} ? x >> 3 : v(x);`).join('\n')}`,
  ) as Filler;
  return { make, fill };
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
  const words = (bytes.length - at) >> 2;
  // An aligned view when possible, else a copy.
  const b = (bytes.byteOffset + at) % 4 === 0
    ? new Int32Array(bytes.buffer, bytes.byteOffset + at, words)
    : new Int32Array(Uint8Array.prototype.slice.call(bytes, at, at + words * 4).buffer);
  const { strings, shapes } = header;
  const numbers = header.numbers.map((n) => (typeof n === 'number' ? n : n === '-0' ? -0 : Number(n)));
  const fns = shapes.map(shapeFunctions);
  const objs: unknown[] = new Array(header.objects);
  const starts = new Int32Array(header.objects);

  // Pass 1: allocate every object (so that forward references resolve), remember its record.
  let p = 0;
  for (let i = 0; i < header.objects; i++) {
    if (p >= words) throw new GraphCodecError('truncated graph-codec body');
    starts[i] = p;
    const kind = b[p];
    if (kind === K_ARRAY) {
      objs[i] = new Array(b[p + 1]);
      p += 2 + b[p + 1];
    } else if (kind === K_MAP) {
      objs[i] = new Map();
      p += 2 + 2 * b[p + 1];
    } else if (kind === K_SET) {
      objs[i] = new Set();
      p += 2 + b[p + 1];
    } else {
      objs[i] = fns[kind - K_OBJECT].make();
      p += 1 + shapes[kind - K_OBJECT].length;
    }
  }
  if (p !== words) throw new GraphCodecError('graph-codec body length mismatch');

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

  // Pass 2: fill them in.
  for (let i = 0; i < header.objects; i++) {
    const q = starts[i];
    const kind = b[q];
    const o = objs[i];
    if (kind === K_ARRAY) {
      const a = o as unknown[];
      for (let j = 0, n = b[q + 1]; j < n; j++) a[j] = v(b[q + 2 + j]);
    } else if (kind === K_MAP) {
      const m = o as Map<unknown, unknown>;
      for (let j = 0, n = b[q + 1]; j < n; j++) m.set(v(b[q + 2 + 2 * j]), v(b[q + 3 + 2 * j]));
    } else if (kind === K_SET) {
      const s = o as Set<unknown>;
      for (let j = 0, n = b[q + 1]; j < n; j++) s.add(v(b[q + 2 + j]));
    } else {
      fns[kind - K_OBJECT].fill(o as Record<string, unknown>, b, q + 1, v, objs, strings);
    }
  }
  return v(header.root);
}
