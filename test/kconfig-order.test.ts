/**
 * The symbol orders the evaluator relies on (evaluate.ts): the writers and conf's loops that
 * print or compute visit the symbols in `for_all_symbols` (hash table) order, which
 * prepareSymbols() derives from tree.symbols; order-free passes visit tree.symbols instead, and
 * inHashOrder() puts a few picked symbols (given in creation order) in hash order without visiting
 * the others. Checked on a generated tree with named and nameless choices, constants and colliding
 * hash buckets, for both Kconfig series (their hash tables differ in size).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalizeTree } from '../src/kconfig/menu.js';
import { parseKconfig } from '../src/kconfig/parse.js';
import { inHashOrder, useContext } from '../src/kconfig/evaluate.js';
import { SYMBOL_CHOICE, type KconfigVersion, type Sym } from '../src/kconfig/model.js';

const dir = mkdtempSync(join(tmpdir(), 'kbuildts-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Kconfig text with `n` symbols, a choice every 50 (every other one named: 6.1), and quoted constants. */
function kconfigText(n: number, named: boolean): string {
  let t = 'mainmenu "Order test"\nconfig MODULES\n\tbool "modules"\n\tmodules\n';
  for (let i = 0; i < n; i++) {
    if (i % 50 === 0) {
      t += named && i % 100 === 0 ? `choice CH${i}\n\tprompt "choice ${i}"\n` : `choice\n\tprompt "choice ${i}"\n`;
      for (let j = 0; j < 3; j++) t += `config C${i}_${j}\n\tbool "member ${j}"\n`;
      t += 'endchoice\n';
    }
    t += `config S${i}\n\ttristate "s ${i}"\n`;
    if (i > 0) t += `\tdepends on S${Math.floor(i / 3)}\nconfig I${i}\n\tint\n\tdefault "${i % 7}"\n`;
  }
  return t;
}

describe.each(['6.1', '6.12'] as KconfigVersion[])('symbol orders (%s)', (version) => {
  const srctree = join(dir, version);
  beforeAll(() => {
    rmSync(srctree, { recursive: true, force: true });
    mkdirSync(srctree, { recursive: true });
    writeFileSync(join(srctree, 'Kconfig'), kconfigText(3000, version === '6.1'));
  });
  afterEach(() => useContext(null));

  test('tree.symbols without the four constants holds exactly the hash-ordered symbols', () => {
    const tree = parseKconfig({ srctree, objtree: srctree, env: { srctree, ARCH: 'x' }, version, cache: false, log: () => {} });
    const c = finalizeTree(tree);
    const fixed = new Set<Sym>([tree.symbolYes, tree.symbolMod, tree.symbolNo, tree.symbolEmpty]);
    const rest = tree.symbols.filter((s) => !fixed.has(s));
    expect(rest.length).toBe(c.hashOrder.length);
    const inHash = new Set(c.hashOrder);
    expect(rest.every((s) => inHash.has(s))).toBe(true);
    expect(c.hashOrder.length).toBeGreaterThan(3000);
  });

  test('inHashOrder gives picked symbols in the order of hashOrder', () => {
    const tree = parseKconfig({ srctree, objtree: srctree, env: { srctree, ARCH: 'x' }, version, cache: false, log: () => {} });
    const c = finalizeTree(tree);
    const fixed = new Set<Sym>([tree.symbolYes, tree.symbolMod, tree.symbolNo, tree.symbolEmpty]);
    const picks: ((s: Sym) => boolean)[] = [
      (s) => (s.flags & SYMBOL_CHOICE) !== 0 || s.name === null,
      (s) => s.name !== null && s.name.length % 3 === 0,
      () => true,
    ];
    for (const pick of picks) {
      const indices: number[] = [];
      tree.symbols.forEach((s, i) => {
        if (!fixed.has(s) && pick(s)) indices.push(i);
      });
      expect(indices.length).toBeGreaterThan(0);
      const at = new Map(tree.symbols.map((s, i) => [s, i]));
      expect(inHashOrder(c, indices.map((i) => tree.symbols[i])).map((s) => at.get(s))).toEqual(c.hashOrder.filter(pick).map((s) => at.get(s)));
    }
  });
});
