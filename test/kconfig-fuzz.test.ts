/**
 * Differential test of the Kconfig front end against the C parser on generated input: seeded
 * (deterministic) random Kconfig files mixing every statement, option, operator, quoting form,
 * macro, comment, continuation and help-indentation corner, valid or not. For each file the C
 * parser (test/tools/kconfig-preparse-dump.c linked with scripts/kconfig's objects) and
 * parseKconfig() must agree: both succeed with the same tree and warnings, or both fail, and our
 * `file:line:col: message` names C's first error (C's file:line and words). A second generator
 * stresses the macro language (user functions, nesting, quoting, $(shell), $(info),
 * $(warning-if), $(error-if), environment variables), comparing `$(info)` and warning output too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KconfigError, type KconfigVersion } from '../src/kconfig/model.js';
import { parseKconfig } from '../src/kconfig/parse.js';
import { buildDump, cDump, dumpTree, firstDifference } from './kconfig-dump.js';

const scratch = mkdtempSync(join(tmpdir(), 'kbuildts-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A small LCG, so every run generates the same files. */
function generator(seed: number): (n?: number) => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/** One generated Kconfig file. */
export function generate(seed: number): string {
  const rnd = generator(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const words = ['A', 'B', 'FOO_BAR', 'x-y', '0x10', '42', 'y', 'm', 'n', '$(V)', 'A$(E)B', '$(E)', 'bool', 'if', 'on', 'optional', 'modules'];
  const strs = ['"s"', "'t'", '"a \\"q\\" b"', '"$(V) v"', '"#not comment"', '""', '" lead"', '"x\\\\y"'];
  const sym = (): string => (rnd() < 0.8 ? pick(words) : pick(strs));
  const expr = (d = 0): string => {
    const r = rnd();
    if (d > 2 || r < 0.4) return sym();
    if (r < 0.55) return `${sym()} ${pick(['=', '!=', '<', '<=', '>', '>='])} ${sym()}`;
    if (r < 0.65) return `!${expr(d + 1)}`;
    if (r < 0.75) return `(${expr(d + 1)})`;
    return `${expr(d + 1)} ${pick(['||', '&&'])}${rnd() < 0.2 ? ' \\\n\t' : ' '}${expr(d + 1)}`;
  };
  const ifo = (): string => (rnd() < 0.3 ? ` if ${expr()}` : '');
  const ws = (): string => pick(['', '\t', '  ', '\t ', ' \t']);
  const help = (): string => {
    const ind = pick(['\t  ', '  ', '\t', '    ', '\t\t']);
    let s = `${ws()}help${rnd() < 0.1 ? ' # c' : ''}\n`;
    const n = Math.floor(rnd() * 4);
    for (let i = 0; i < n; i++) {
      const r = rnd();
      s += r < 0.2 ? '\n' : r < 0.3 ? ' \t\n' : `${ind}${r < 0.4 ? '  ' : ''}text ${i}${r < 0.5 ? '  ' : ''}${r < 0.55 ? '\t' : ''}\n`;
    }
    return s;
  };
  const opt = (): string =>
    pick([
      () => `${ws()}${pick(['bool', 'tristate', 'int', 'hex', 'string'])}${rnd() < 0.7 ? ` ${pick(strs)}${ifo()}` : ''}\n`,
      () => `${ws()}prompt ${pick(strs)}${ifo()}\n`,
      () => `${ws()}${pick(['default', 'default', 'def_bool', 'def_tristate'])} ${expr()}${ifo()}\n`,
      () => `${ws()}depends on ${expr()}${rnd() < 0.2 ? ' # comment' : ''}\n`,
      () => `${ws()}${pick(['select', 'imply'])} ${pick(words)}${ifo()}\n`,
      () => `${ws()}range ${sym()} ${sym()}${ifo()}\n`,
      () => help(),
      () => `${ws()}visible${ifo()}\n`,
      () => `${ws()}optional\n`,
      () => `${ws()}modules\n`,
      () => `${ws()}$(info,i)\n`,
      () => '\n',
      () => '# comment line\n',
    ])();
  const stmt = (depth: number): string =>
    pick([
      () => {
        let s = `${pick(['config', 'config', 'menuconfig'])} ${pick(words)}\n`;
        const n = Math.floor(rnd() * 5);
        for (let i = 0; i < n; i++) s += opt();
        return s;
      },
      () => `comment ${pick(strs)}\n${rnd() < 0.5 ? `\tdepends on ${expr()}\n` : ''}`,
      () => (depth < 2 ? `if ${expr()}\n${stmts(depth + 1)}endif\n` : ''),
      () => (depth < 2 ? `menu ${pick(strs)}\n${rnd() < 0.4 ? `\tvisible if ${expr()}\n` : ''}${stmts(depth + 1)}endmenu\n` : ''),
      () => (depth < 2 ? `choice${rnd() < 0.2 ? ' CH' : ''}\n${opt()}${opt()}${stmts(depth + 1)}endchoice\n` : ''),
      () => `${pick(['V', 'E', 'W'])} ${pick(['=', ':=', '+='])}${pick(['', ' ', '\t'])}${pick(['', 'val', '$(V)x', 'a # b', '"q'])}\n`,
      () => pick(['endif\n', 'endmenu\n', 'junk word\n', 'mainmenu "m"\n', '\n', '  \\\n  \n']),
    ])();
  const stmts = (depth: number): string => {
    let s = '';
    const n = Math.floor(rnd() * 4) + 1;
    for (let i = 0; i < n; i++) s += stmt(depth);
    return s;
  };
  let text = `${rnd() < 0.2 ? 'mainmenu "x $(V)"\n' : ''}E :=\nV = v\n${stmts(0)}`;
  if (rnd() < 0.1) text = text.replace(/\n$/, '');
  return text;
}

const CASES = 250;

describe.each([
  ['6.1', 1],
  ['6.12', 1001],
] as const)('generated Kconfig files agree with the C parser (%s)', (version: KconfigVersion, firstSeed: number) => {
  let exe: string;
  beforeAll(() => {
    exe = buildDump(version, scratch);
  });

  test(`${CASES} files: same tree and warnings, or the same first error`, () => {
    const tally = { ok: 0, errors: 0 };
    for (let k = 0; k < CASES; k++) {
      const seed = firstSeed + k;
      const dir = mkdtempSync(join(scratch, `case-${seed}-`));
      writeFileSync(join(dir, 'Kconfig'), generate(seed));
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', srctree: dir };
      const c = cDump(exe, env, scratch);
      let tree: ReturnType<typeof parseKconfig> | undefined;
      let err: unknown;
      try {
        tree = parseKconfig({ srctree: dir, objtree: dir, env, version, cache: false, log: () => {} });
      } catch (e) {
        err = e;
      }
      const where = `seed ${seed} (${dir}/Kconfig)`;
      if (c.status === 0) {
        expect([where, err instanceof Error ? err.message : 'ok']).toEqual([where, 'ok']);
        // C has no file for the last statement of a top file without a final newline ("-").
        const cd = c.dump.map((l) => l.replace(/ -:(\d+)/g, ' Kconfig:$1'));
        expect([where, firstDifference(cd, dumpTree(tree!))]).toEqual([where, null]);
        const cw = c.stderr.split('\n').filter((l) => l !== '').sort();
        expect([where, [...tree!.warnings].sort()]).toEqual([where, cw]);
        tally.ok++;
      } else {
        expect([where, err instanceof KconfigError]).toEqual([where, true]);
        const e = err as KconfigError;
        const mine = `${e.file}:${e.line}: ${e.detail}`;
        // C's first error (C goes on after errors; warnings and bison's "syntax error" lines
        // precede the recovery's message, unless the error is the syntax error itself).
        const lines = c.stderr.split('\n').filter((l) => l !== '' && !/warning/.test(l)).map((l) => l.replace(/^(\S+:\d+: )error: /, '$1'));
        const first = e.detail === 'syntax error' ? lines[0] : lines.find((l) => !l.endsWith(': syntax error'));
        expect([where, first?.startsWith(mine)]).toEqual([where, true]);
        tally.errors++;
      }
    }
    // Both outcomes are exercised.
    expect(tally.ok).toBeGreaterThan(20);
    expect(tally.errors).toBeGreaterThan(20);
  });
});

/** A file stressing the macro language. */
export function generateMacros(seed: number): string {
  const rnd = generator(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const atoms = ['a', 'b c', ',', '(', ')', 'x,y', ' ', '"', "'", '$', '$$', '#', 'y', 'n', '\\'];
  // `vars`: whether user variables may be referenced (not in `:=` values: C's variable_add()
  // frees, or has not yet set, the variable's value before expanding one, so a `:=` that reaches
  // its own variable, even through others, is undefined behaviour).
  const ref = (d = 0, vars = true): string => {
    const r = rnd();
    if (d > 2 || r < 0.3) return pick(atoms);
    if (r < 0.45) return `$(${pick(vars ? ['F', 'G', 'S', 'R', 'U', 'FOO', 'HOME_X', '1', '2', '3', 'filename', 'lineno', ''] : ['FOO', 'HOME_X', '1', 'filename', 'lineno', ''])})`;
    if (r < 0.6) return vars ? `$(${pick(['F', 'G', 'U'])},${ref(d + 1)},${ref(d + 1)})` : `$(info,${ref(d + 1, vars)})`;
    if (r < 0.7) return `$(shell,${pick([`echo ${pick(['a', 'b  c', 'y'])}`, 'printf "a\\nb\\n\\n"', 'true', 'echo $HOME_X'])})`;
    if (r < 0.75) return `$(warning-if,${pick(['y', 'n', ref(d + 1, vars)])},w${ref(d + 1, vars)})`;
    if (r < 0.8) return `$(info,${ref(d + 1, vars)})`;
    if (r < 0.83) return `$(error-if,${pick(['n', 'n', 'y'])},e)`;
    return ref(d + 1, vars) + ref(d + 1, vars);
  };
  let s = 'E :=\n';
  const simple = new Set<string>();
  const n = 3 + Math.floor(rnd() * 8);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.4) {
      const name = pick(['F', 'G', 'S', 'R', 'U']);
      const op = pick(['=', ':=', '+=']);
      // `+=` expands its value only for a simple variable, whose value stays valid meanwhile.
      const vars = op !== ':=' && !simple.has(name);
      if (op === ':=') simple.add(name);
      else if (op === '=') simple.delete(name);
      s += `${name} ${op} ${ref(0, vars)}${ref(0, vars)}\n`;
    }
    else if (r < 0.6) s += `config C${i}\n\tstring "${ref()}"\n\tdefault "${ref()}"\n`;
    else if (r < 0.8) s += `config W${i}$(E)\n\tbool\n\tdefault ${pick(['$(S)', '$(F,a,b)', 'y$(G)', '$(U,y)'])}\n`;
    else s += `${ref()}\n`;
  }
  return s;
}

describe('generated macro-language files agree with the C parser (6.1)', () => {
  let exe: string;
  beforeAll(() => {
    exe = buildDump('6.1', scratch);
  });

  const MACRO_CASES = 150; // each runs many $(shell) commands, in C and here
  test(`${MACRO_CASES} files: same tree, $(info) and warning output, or the same first error`, () => {
    const tally = { ok: 0, errors: 0 };
    for (let k = 0; k < MACRO_CASES; k++) {
      const seed = 5001 + k;
      const dir = mkdtempSync(join(scratch, `macro-${seed}-`));
      writeFileSync(join(dir, 'Kconfig'), generateMacros(seed));
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', srctree: dir, FOO: 'foo', HOME_X: '/h' };
      const c = cDump(exe, env, scratch);
      expect([`seed ${seed}`, c.status === 0 || c.status === 1]).toEqual([`seed ${seed}`, true]);
      const out: string[] = [];
      let tree: ReturnType<typeof parseKconfig> | undefined;
      let err: unknown;
      try {
        tree = parseKconfig({ srctree: dir, objtree: dir, env, cache: false, log: (stream, t) => out.push(`${stream}:${t}`) });
      } catch (e) {
        err = e;
      }
      const where = `seed ${seed} (${dir}/Kconfig)`;
      const ourStderr = out.filter((l) => l.startsWith('stderr:')).map((l) => l.slice(7).replace(/\n$/, ''));
      if (c.status === 0) {
        expect([where, err instanceof Error ? err.message : 'ok']).toEqual([where, 'ok']);
        expect([where, firstDifference(c.dump, dumpTree(tree!))]).toEqual([where, null]);
        const ourStdout = out.filter((l) => l.startsWith('stdout:')).map((l) => l.slice(7)).join('');
        expect([where, ourStdout]).toEqual([where, c.stdout.map((l) => `${l}\n`).join('')]);
        const cw = c.stderr.split('\n').filter((l) => l !== '').sort();
        expect([where, [...ourStderr, ...tree!.warnings].sort()]).toEqual([where, cw]);
        tally.ok++;
      } else {
        expect([where, err instanceof KconfigError]).toEqual([where, true]);
        const e = err as KconfigError;
        const sunk = new Set(ourStderr);
        const lines = c.stderr.split('\n').filter((l) => l !== '' && !/^\S+:\d+: ?warning: /.test(l) && !sunk.has(l));
        const first = e.detail === 'syntax error' ? lines[0] : lines.find((l) => !l.endsWith(': syntax error'));
        expect([where, first?.startsWith(`${e.file}:${e.line}: ${e.detail}`)]).toEqual([where, true]);
        tally.errors++;
      }
    }
    expect(tally.ok).toBeGreaterThan(10);
    expect(tally.errors).toBeGreaterThan(20);
  });
});
