/**
 * src/util/graph-codec.ts: object graphs with sharing and cycles survive a round trip, deep
 * chains do not overflow the stack, and what cannot be encoded is refused.
 */
import { decodeGraph, encodeGraph, GraphCodecError } from '../src/util/graph-codec.js';

/** A deterministic pseudo-random generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/**
 * Structural equality that also requires the same sharing: `a` and `b` correspond node by
 * node, and two references to one object in `a` are two references to one object in `b`.
 */
function sameGraph(a: unknown, b: unknown, seen = new Map<object, object>()): boolean {
  if (typeof a !== 'object' || a === null) return Object.is(a, b);
  if (typeof b !== 'object' || b === null) return false;
  const prior = seen.get(a);
  if (prior !== undefined) return prior === b;
  seen.set(a, b);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameGraph(x, b[i], seen));
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    const ea = [...a];
    const eb = [...b];
    return ea.every(([k, v], i) => sameGraph(k, eb[i][0], seen) && sameGraph(v, eb[i][1], seen));
  }
  if (a instanceof Set) {
    if (!(b instanceof Set) || a.size !== b.size) return false;
    const eb = [...b];
    return [...a].every((v, i) => sameGraph(v, eb[i], seen));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\0') !== kb.join('\0')) return false;
  return ka.every((k) => sameGraph((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], seen));
}

test('random graphs with shared nodes, cycles, Maps and Sets round-trip with their sharing', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const nodes: Record<string, unknown>[] = [];
    const prims = (): unknown => {
      const k = Math.floor(r() * 9);
      return [null, undefined, true, false, Math.floor(r() * 1000) - 500, r() * 1e12, 'latin1 \u00e9\u00ff', `s${Math.floor(r() * 5)}`, 2 ** 40][k];
    };
    for (let i = 0; i < 60; i++) nodes.push({ id: i, tag: prims() });
    for (const n of nodes) {
      n.next = nodes[Math.floor(r() * nodes.length)];
      if (r() < 0.3) n.list = [nodes[Math.floor(r() * nodes.length)], prims(), n];
      if (r() < 0.2) n.map = new Map<unknown, unknown>([[nodes[Math.floor(r() * nodes.length)], prims()], ['k', n]]);
      if (r() < 0.2) n.set = new Set([prims(), nodes[Math.floor(r() * nodes.length)]]);
    }
    const root = { nodes, first: nodes[0] };
    const back = decodeGraph(encodeGraph(root));
    expect(sameGraph(root, back)).toBe(true);
  }
});

test('numbers outside the small-integer range, -0, NaN and the infinities keep their values', () => {
  const values = [0, -0, 1, -1, 2 ** 28 - 1, 2 ** 28, -(2 ** 28), -(2 ** 28) - 1, 2 ** 53, 0.5, -1e-300, Number.NaN, Infinity, -Infinity];
  const back = decodeGraph(encodeGraph({ values })) as { values: number[] };
  expect(back.values.length).toBe(values.length);
  values.forEach((v, i) => expect(Object.is(back.values[i], v)).toBe(true));
});

test('key order and keys holding undefined are kept; a key absent stays absent', () => {
  const o = { z: 1, a: undefined, m: 'x' };
  const back = decodeGraph(encodeGraph([o, { a: 1 }])) as Record<string, unknown>[];
  expect(Object.keys(back[0])).toEqual(['z', 'a', 'm']);
  expect('a' in back[0]).toBe(true);
  expect(back[0].a).toBeUndefined();
  expect(Object.keys(back[1])).toEqual(['a']);
});

test('a chain 300,000 nodes deep (a menu sibling list) encodes and decodes without recursion', () => {
  type Node = { next: Node | null; parent: Node | null; n: number };
  const head: Node = { next: null, parent: null, n: 0 };
  let cur = head;
  for (let i = 1; i < 300_000; i++) {
    const nx: Node = { next: null, parent: cur, n: i };
    cur.next = nx;
    cur = nx;
  }
  const back = decodeGraph(encodeGraph(head)) as Node;
  let count = 0;
  let broken = 0;
  let last: Node | null = null;
  for (let p: Node | null = back; p; p = p.next) {
    if (p.parent !== last || p.n !== count) broken++;
    last = p;
    count++;
  }
  expect({ count, broken }).toEqual({ count: 300_000, broken: 0 });
});

test('the canonical option makes every reference to equal nodes one shared node', () => {
  const a1 = { type: 'symbol', sym: 'A' };
  const a2 = { type: 'symbol', sym: 'A' };
  const root = { left: a1, right: a2, again: a1 };
  const back = decodeGraph(encodeGraph(root, { canonical: (o) => (o === a2 ? a1 : o) })) as typeof root;
  expect(back.left).toBe(back.right);
  expect(back.left).toBe(back.again);
  expect(back.left).toEqual({ type: 'symbol', sym: 'A' });
  // Without it, the two stay two.
  const plain = decodeGraph(encodeGraph(root)) as typeof root;
  expect(plain.left).not.toBe(plain.right);
  expect(plain.left).toBe(plain.again);
});

test('functions, class instances, symbols, bigints and a __proto__ key are refused', () => {
  class Point {
    x = 1;
  }
  for (const bad of [{ f: () => 1 }, { p: new Point() }, { s: Symbol('x') }, { b: 10n }, { w: new WeakMap() }, JSON.parse('{"__proto__": 1}')]) {
    expect(() => encodeGraph(bad)).toThrow(GraphCodecError);
  }
});

test('a buffer that is not the format, or is cut short, is a GraphCodecError', () => {
  expect(() => decodeGraph(Buffer.from('hello world, not a graph'))).toThrow(GraphCodecError);
  const good = encodeGraph({ a: [1, 2, 3], b: { c: 'd' } });
  expect(() => decodeGraph(good.subarray(0, good.length - 4))).toThrow(GraphCodecError);
  expect(() => decodeGraph(good.subarray(0, 12))).toThrow(GraphCodecError);
});

test('strings round-trip from the one string blob: empty, latin1, short and long', () => {
  // Lengths around 13 (V8 copies shorter slices, shares longer ones) and a long help text.
  const strings = ['', 'y', 'CONFIG_', 'exactly12chr', 'thirteen char', 'latin1 caf\u00e9 \u00ff\u0000 nul', '\n\t help\n'.repeat(500), ''];
  const root = { strings, again: strings[5], empty: '', nested: [{ s: strings[3] }, new Map([[strings[4], strings[6]]])] };
  const bytes = encodeGraph(root);
  const back = decodeGraph(bytes) as typeof root;
  expect(back).toEqual(root);
  expect(back.strings.map((s) => s.length)).toEqual(strings.map((s) => s.length));
  // All below U+0100: one byte per character in the blob.
  expect(bytes.length).toBeLessThan(strings.reduce((n, s) => n + s.length, 0) * 2);
});

test('a string above U+00FF switches the blob to UTF-16 and every string still round-trips', () => {
  const strings = ['', 'plain', 'caf\u00e9', 'euro \u20ac', 'cjk \u4e2d\u6587 text longer than 13', 'emoji \ud83d\ude00 pair', 'lone \ud800 surrogate', ''];
  const back = decodeGraph(encodeGraph({ strings, m: new Set(strings) })) as { strings: string[]; m: Set<string> };
  expect(back.strings).toEqual(strings);
  expect([...back.m]).toEqual([...new Set(strings)]);
});

test('objects of interleaved shapes keep their identity, key order and references once grouped by shape', () => {
  type N = { kind: string; peer: unknown; list?: unknown[] };
  const nodes: N[] = [];
  for (let i = 0; i < 50; i++) nodes.push(i % 3 === 0 ? { kind: 'a', peer: null } : i % 3 === 1 ? { kind: 'b', peer: null, list: [] } : ({ peer: null, kind: 'c' } as N));
  nodes.forEach((n, i) => {
    n.peer = nodes[(i * 7) % 50];
    n.list?.push(nodes[(i + 1) % 50], n, new Map([[n, nodes[0]]]));
  });
  const back = decodeGraph(encodeGraph(nodes)) as N[];
  back.forEach((n, i) => {
    expect(Object.keys(n)).toEqual(Object.keys(nodes[i]));
    expect(n.peer).toBe(back[(i * 7) % 50]);
    if (n.list) {
      expect(n.list[0]).toBe(back[(i + 1) % 50]);
      expect(n.list[1]).toBe(n);
      expect((n.list[2] as Map<unknown, unknown>).get(n)).toBe(back[0]);
    }
  });
});

test('every truncation of a buffer is a GraphCodecError', () => {
  const good = encodeGraph({ a: [1, 'two', { three: 3 }], m: new Map([['k', 'caf\u00e9']]), s: new Set(['x']), n: 2 ** 40 });
  expect(decodeGraph(good)).toEqual({ a: [1, 'two', { three: 3 }], m: new Map([['k', 'caf\u00e9']]), s: new Set(['x']), n: 2 ** 40 });
  for (let len = 0; len < good.length; len++) expect(() => decodeGraph(good.subarray(0, len))).toThrow(GraphCodecError);
});

test('a shape of one object (filled without compiled code) and one of many decode alike: keys, their order, undefined values, references', () => {
  // A run of one object is filled without compiled code (graph-codec.ts genericShapeFunctions),
  // a longer run with it: both must give each object the same own keys in the same order.
  const make = (i: number): Record<string, unknown> => ({ b: i, 2: 'two', a: undefined, 1: null, self: null, m: new Map<unknown, unknown>([[i, 'n'], ['k', -0]]) });
  const one = { ...make(0), alone: true }; // a shape of its own: a run of one object
  one.self = one;
  const many = [make(1), make(2), make(3)];
  many.forEach((o, i) => (o.self = many[(i + 1) % many.length]));
  const back = decodeGraph(encodeGraph({ one, many })) as { one: Record<string, unknown>; many: Record<string, unknown>[] };
  for (const [orig, got] of [[one, back.one], ...many.map((o, i) => [o, back.many[i]])] as [Record<string, unknown>, Record<string, unknown>][]) {
    expect(Object.keys(got)).toEqual(Object.keys(orig));
    expect('a' in got).toBe(true);
    expect(got.b).toBe(orig.b);
    expect(Object.is((got.m as Map<unknown, unknown>).get('k'), -0)).toBe(true);
    expect([...(got.m as Map<unknown, unknown>).keys()]).toEqual([orig.b, 'k']);
  }
  expect(back.one.self).toBe(back.one);
  back.many.forEach((o, i) => expect(o.self).toBe(back.many[(i + 1) % 3]));
});

/**
 * The header's shapes and runs as a plain reference encoder finds them: objects numbered in the
 * order they are first met (records in id order, values in key order), a shape per distinct
 * Object.keys() list (joined), in the order of the first object of it.
 */
function referenceShapes(root: unknown): { shapes: string[][]; groups: [number, number][] } {
  const ids = new Map<object, number>();
  const objects: object[] = [];
  const see = (v: unknown): void => {
    if (typeof v === 'object' && v !== null && !ids.has(v)) {
      ids.set(v, objects.length);
      objects.push(v);
    }
  };
  const shapes: string[][] = [];
  const shapeOf = new Map<string, number>();
  const groups: [number, number][] = [];
  const runOf = new Map<number, [number, number]>();
  see(root);
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i];
    let kind: number;
    if (Array.isArray(o)) {
      kind = 0;
      o.forEach(see);
    } else if (o instanceof Map) {
      kind = 1;
      for (const [k, v] of o) {
        see(k);
        see(v);
      }
    } else if (o instanceof Set) {
      kind = 2;
      o.forEach(see);
    } else {
      const keys = Object.keys(o);
      const sig = keys.join('\0');
      if (!shapeOf.has(sig)) {
        shapeOf.set(sig, shapes.length);
        shapes.push(keys);
      }
      kind = 3 + shapeOf.get(sig)!;
      keys.forEach((k) => see((o as Record<string, unknown>)[k]));
    }
    const run = runOf.get(kind);
    if (run) run[1]++;
    else {
      runOf.set(kind, [kind, 1]);
      groups.push(runOf.get(kind)!);
    }
  }
  return { shapes, groups };
}

/** The JSON header of an encoded buffer (see the format in graph-codec.ts). */
function headerOf(bytes: Buffer): { shapes: string[][]; groups: [number, number][] } {
  const len = bytes.readUInt32LE(6);
  return JSON.parse(bytes.toString('utf8', 10, 10 + len)) as { shapes: string[][]; groups: [number, number][] };
}

test('key lists that share a prefix, differ in order or length, or fan out widely get the shapes a plain reference finds', () => {
  // Shapes are found by walking a trie of keys (graph-codec.ts KeyNode): prefixes of one another,
  // permutations, an empty key list, integer-like keys (which Object.keys puts first), a null
  // prototype, and more children at one node than its linear scan covers (then a Map).
  const r = rng(7);
  const makers: (() => Record<string, unknown>)[] = [
    () => ({ a: 1, b: 2 }),
    () => ({ b: 1, a: 2 }),
    () => ({ a: 1 }),
    () => ({ a: 1, b: 2, c: 3 }),
    () => ({ a: 1, b: 2, c: 3, d: 4 }),
    () => ({ a: 1, c: 3 }),
    () => ({}),
    () => ({ x: 'x', 10: 'ten', 2: 'two' }),
    () => Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 }),
    ...Array.from({ length: 40 }, (_, i) => () => ({ [`k${i}`]: i })),
    ...Array.from({ length: 40 }, (_, i) => () => ({ a: 0, [`z${i}`]: i, b: 1 })),
  ];
  const nodes: Record<string, unknown>[] = [];
  for (let i = 0; i < 600; i++) nodes.push(makers[Math.floor(r() * makers.length)]());
  // Some get a last key more, `next`: a link to another one.
  nodes.forEach((n, i) => {
    if (r() < 0.3) n.next = nodes[(i * 13 + 5) % nodes.length];
  });
  const root = [nodes.slice(0, 300), new Map([['rest', nodes.slice(300)]]), new Set([nodes[1], nodes[599]])];
  const bytes = encodeGraph(root);
  expect(headerOf(bytes)).toMatchObject(referenceShapes(root));
  expect(sameGraph(decodeGraph(bytes), root)).toBe(true);
});
