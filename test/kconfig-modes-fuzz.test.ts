/**
 * Differential test of whole conf runs against the C conf of each series, on generated trees:
 * seeded (deterministic) random Kconfig files with bool/tristate symbols, choices, menus, `if`
 * blocks, automatic submenus, select/imply, and int/hex/string symbols with ranges and defaults,
 * plus a random input .config (valid, invalid and unknown values). Each tree runs in the conf
 * modes of both series; kbuildts (runConfig) must give what `conf -s --<mode> Kconfig` gives:
 * exit status, stdout (messages, notices, KCONFIG_SEED), stderr, and every output file (.config,
 * defconfig, auto.conf, auto.conf.cmd, autoconf.h, rustc_cfg). On a fatal error, conf's stderr
 * starts with what kbuildts printed before it stopped (kbuildts reports the error itself as an
 * exception).
 *
 * Runs where the C conf crashed, was stopped (it asks a choice with no visible member forever at
 * the end of its input, on some trees) or printed "Oops! How to check <garbage>" (undefined
 * behaviour, mostly of the 6.12 conf, reading an uninitialised expression) are skipped: there is
 * nothing exact to compare; a last test checks that they stay few. oldconfig and syncconfig run
 * on 6.1 only: kbuildts, asked the same endless question, would loop as conf does.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runConfig } from '../src/kconfig/config.js';

/** scripts/golden-regen.mjs: the oracle's path, environment, arguments and object-tree set-up. */
interface Regen {
  OUTPUT_FILES: [string, string][];
  goldenEnv(dir: string, c: { env?: Record<string, string> }, mode: string): Record<string, string>;
  confArgs(mode: string): string[];
  prepareObjtree(dir: string, mode: string, objtree: string): void;
  confFor(series: string): string | null;
}
const regen = (await import(pathToFileURL(resolve(process.cwd(), 'scripts', 'golden-regen.mjs')).href)) as Regen;

const scratch = mkdtempSync(join(tmpdir(), 'kbuildts-modes-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A small LCG, so that every run generates the same trees. */
function generator(seed: number): (k: number) => number {
  let s = seed;
  return (k) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s % k;
  };
}

/** Symbols S0..S{N-1} (bool/tristate, choices), T0..T3 (select/imply targets), V0..V5 (int/hex/string). */
const N = 12;

/** One generated tree: its Kconfig (for 6.1 or 6.12 syntax) and an input .config. */
export function generateTree(seed: number, v612: boolean): { kconfig: string; config: string } {
  const rnd = generator(seed);
  const tri = ['y', 'm', 'n'];
  let i = 0;
  const expr = (maxSym: number, d = 0): string => {
    const r = rnd(d > 2 ? 6 : 10);
    const sym = (): string => (maxSym <= 0 || rnd(12) === 0 ? tri[rnd(3)] : `S${rnd(maxSym)}`);
    if (r < 3) return sym();
    if (r === 3) return `${sym()}${rnd(2) ? '=' : '!='}${tri[rnd(3)]}`;
    if (r === 4) return `!${sym()}`;
    if (r === 5) return `(${sym()} || ${sym()})`;
    if (r < 8) return `(${expr(maxSym, d + 1)} && ${expr(maxSym, d + 1)})`;
    if (r === 8) return `(${expr(maxSym, d + 1)} || ${expr(maxSym, d + 1)})`;
    return `!(${expr(maxSym, d + 1)})`;
  };
  // Mostly earlier symbols, so that most trees have no dependency cycle.
  const back = (): number => (rnd(25) === 0 ? N : i - 1);
  const cfg = (): string => {
    const n = i++;
    const t = rnd(3) ? 'tristate' : 'bool';
    let s = `${rnd(6) === 0 ? 'menuconfig' : 'config'} S${n}\n\t${t}${rnd(4) ? ` "p${n}"${rnd(3) === 0 ? ` if ${expr(back())}` : ''}` : ''}\n`;
    for (let k = rnd(4); k > 0; k--) {
      const w = rnd(5);
      if (w === 0) s += `\tdepends on ${expr(back())}\n`;
      if (w === 1) s += `\tselect ${rnd(10) ? `T${rnd(4)}` : `S${rnd(N)}`}${rnd(2) ? ` if ${expr(back())}` : ''}\n`;
      if (w === 2) s += `\tdefault ${expr(back())}${rnd(2) ? ` if ${expr(back())}` : ''}\n`;
      if (w === 3) s += `\timply ${rnd(10) ? `T${rnd(4)}` : `S${rnd(N)}`}\n`;
      if (w === 4) s += `\tdepends on S${Math.max(0, n - 1)}\n`;
    }
    return s;
  };
  const block = (depth: number): string => {
    let s = '';
    while (i < N && rnd(depth ? 3 : 8)) {
      const r = rnd(10);
      if (r < 5 || depth > 2) s += cfg();
      else if (r === 5) s += `menu "m${i}"\n${rnd(2) ? `\tdepends on ${expr(back())}\n` : ''}${rnd(3) === 0 ? `\tvisible if ${expr(back())}\n` : ''}${block(depth + 1)}endmenu\n`;
      else if (r === 6) s += `if ${expr(back())}\n${block(depth + 1)}endif\n`;
      else if (r === 7) {
        const t = !v612 && rnd(2) ? 'tristate' : 'bool';
        let c = `choice\n\tprompt "c${i}"\n${rnd(2) ? `\t${t}\n` : ''}${rnd(3) === 0 ? `\tdepends on ${expr(back())}\n` : ''}${!v612 && rnd(3) === 0 ? '\toptional\n' : ''}`;
        for (let j = 1 + rnd(3); j > 0 && i < N; j--) {
          const n = i++;
          c += `config S${n}\n\t${rnd(4) ? t : 'bool'} "p${n}"\n${rnd(3) === 0 ? `\tdepends on ${expr(back())}\n` : ''}`;
        }
        s += `${c}endchoice\n`;
      } else {
        // A symbol followed by entries that depend on it (an automatic submenu).
        const n = i;
        s += cfg();
        for (let j = rnd(3); j > 0 && i < N; j--) {
          const k = i++;
          s += `config S${k}\n\tbool "p${k}"\n\tdepends on S${n}${rnd(2) ? ` && ${expr(back())}` : ''}\n`;
        }
      }
    }
    return s;
  };
  let kconfig = 'config MODULES\n\tbool "modules"\n\tdefault y\n\tmodules\n\n';
  while (i < N) kconfig += block(0);
  for (let j = 0; j < 4; j++) kconfig += `config T${j}\n\t${rnd(2) ? 'bool' : 'tristate'}${rnd(2) ? ` "t${j}"` : ''}\n`;
  for (let j = 0; j < 6; j++) {
    const t = ['int', 'hex', 'string'][rnd(3)];
    const lit = (): string =>
      t === 'int' ? ['0', '5', '-3', '100', '0x10', 'abc', '""', '"7"'][rnd(8)]
        : t === 'hex' ? ['0x0', '0x1f', '10', '0xFFFF', 'zz', '0X20'][rnd(6)]
          : ['"a b"', '"x\\"y"', 'foo', '""', j ? `V${rnd(j)}` : 'foo'][rnd(5)];
    const val = (): string => (rnd(3) || !j ? lit() : `V${rnd(j)}`);
    kconfig += `config V${j}\n\t${t}${rnd(3) ? ` "v${j}"${rnd(4) === 0 ? ` if ${expr(N)}` : ''}` : ''}\n`;
    for (let k = rnd(4); k > 0; k--) {
      const w = rnd(4);
      if (w === 0) kconfig += `\tdefault ${val()}${rnd(2) ? ` if ${expr(N)}` : ''}\n`;
      if (w === 1 && t !== 'string') kconfig += `\trange ${val()} ${val()}${rnd(3) === 0 ? ` if ${expr(N)}` : ''}\n`;
      if (w === 2) kconfig += `\tdepends on ${expr(N)}\n`;
      if (w === 3) kconfig += `\tdefault ${lit()}\n`;
    }
  }
  let config = '';
  for (const name of ['MODULES', ...Array.from({ length: N }, (_, k) => `S${k}`), 'T0', 'T1', 'T2', 'T3', 'UNKNOWN1']) {
    const r = rnd(12);
    if (r < 6) config += `CONFIG_${name}=${tri[rnd(3)]}\n`;
    else if (r < 8) config += `# CONFIG_${name} is not set\n`;
    else if (r === 8) config += `CONFIG_${name}=${['2', '"s"', 'yes', ''][rnd(4)]}\n`;
  }
  for (let j = 0; j < 6; j++) if (rnd(2)) config += `CONFIG_V${j}=${['0', '7', '-1', '0x1f', '1f', '"str"', 'str', '"a\\"b"', '', '99999999999999999999'][rnd(10)]}\n`;
  return { kconfig, config };
}

const MODES = ['alldefconfig', 'allnoconfig', 'allyesconfig', 'allmodconfig', 'randconfig', 'olddefconfig', 'savedefconfig', 'defconfig',
  'listnewconfig', 'helpnewconfig', 'yes2modconfig', 'mod2noconfig', 'oldconfig', 'syncconfig'];
const TREES = 40;

describe.each(['6.1', '6.12'])('Linux %s: conf modes on generated trees = C conf', (series) => {
  const conf = regen.confFor(series);
  const modes = MODES.filter((m) => series === '6.1' || (m !== 'oldconfig' && m !== 'syncconfig'));
  test.each(Array.from({ length: TREES }, (_, k) => k))('tree %i', (k) => {
    if (!conf) throw new Error(`the C conf of ${series} is not built: run npm run setup`);
    const dir = join(scratch, `${series}-${k}`);
    mkdirSync(dir, { recursive: true });
    const { kconfig, config } = generateTree(1000 + k, series === '6.12');
    writeFileSync(join(dir, 'Kconfig'), kconfig);
    writeFileSync(join(dir, 'input.config'), config);
    let compared = 0;
    for (const mode of modes) {
      const env = regen.goldenEnv(dir, { env: { KCONFIG_SEED: String(7 + k) } }, mode);
      const cobj = join(dir, `c-${mode}`);
      const tobj = join(dir, `t-${mode}`);
      regen.prepareObjtree(dir, mode, cobj);
      regen.prepareObjtree(dir, mode, tobj);
      const c = spawnSync(conf, regen.confArgs(mode), { cwd: cobj, env, encoding: 'latin1', timeout: 20_000, maxBuffer: 4 << 20 });
      if (c.status === null || c.stderr.includes('Oops!')) continue; // the C conf's undefined behaviour
      let stdout = '';
      let stderr = '';
      let status = 0;
      try {
        runConfig({
          frontEndCache: 'off', mode, srctree: dir, objtree: tobj, arch: 'arm64', kernelVersion: `${series}.0`, exactEnv: env,
          defconfigFile: mode === 'defconfig' ? 'input.config' : undefined, silent: true, input: '',
          onStdout: (s) => { stdout += s; }, onStderr: (s) => { stderr += s; },
        });
      } catch {
        status = 1;
      }
      const what = `${series} tree ${k} ${mode}\n${kconfig}`;
      expect({ what, status }).toEqual({ what, status: c.status });
      expect({ what, stdout }).toEqual({ what, stdout: c.stdout });
      if (status === 0) {
        expect({ what, stderr }).toEqual({ what, stderr: c.stderr });
        for (const [, rel] of regen.OUTPUT_FILES) {
          const read = (root: string): string | null => (existsSync(join(root, rel)) ? readFileSync(join(root, rel), 'latin1') : null);
          expect({ what, file: rel, text: read(tobj) }).toEqual({ what, file: rel, text: read(cobj) });
        }
      } else {
        expect({ what, stderrStart: c.stderr.startsWith(stderr) }).toEqual({ what, stderrStart: true });
      }
      compared++;
    }
    totals.compared += compared;
    totals.runs += modes.length;
  });
  const totals = { compared: 0, runs: 0 };
  // Runs after the trees (in order): the skips must stay the exception, or the test would pass
  // by comparing nothing.
  test('most runs were compared (the C conf misbehaved on few)', () => {
    expect(totals.runs).toBe(TREES * modes.length);
    expect(totals.compared / totals.runs).toBeGreaterThan(series === '6.1' ? 0.9 : 0.25);
  });
});
