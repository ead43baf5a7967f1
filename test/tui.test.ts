/**
 * The interactive front ends driven for real in a terminal (tmux: send-keys, capture-pane) on a
 * copy of samples/ with an int symbol added:
 * - `kbuildts menuconfig`: into the menus, a tristate set to m, another choice member picked,
 *   an out-of-range int refused and a good one set, saved; the .config (and auto.conf,
 *   autoconf.h) must equal what the C conf writes (olddefconfig) for the same user values, and
 *   .config.old the previous file. Leaving without changes writes nothing.
 * - `kbuildts config oldconfig` on a terminal: only the new symbols are asked, with conf's
 *   question text; the files must equal the C conf's for the same answers piped in.
 *
 * Needs tmux (scripts/setup.sh installs it), the built CLI (dist/) and the 6.1 conf oracle.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest } from '../src/runner/cache.js';

const REPO = process.cwd();
const CLI = join(REPO, 'dist/cli/kbuildts.cjs');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let work = '';
let tree = '';
let conf = '';

/** A terminal session running one command. */
class Term {
  constructor(readonly name: string) {}
  static start(name: string, cwd: string, command: string): Term {
    try {
      execFileSync('tmux', ['kill-session', '-t', name], { stdio: 'ignore' });
    } catch { /* none */ }
    const done = join(work, `${name}.status`);
    rmSync(done, { force: true });
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '110', '-y', '40', '-c', cwd,
      `${command}; echo $? > ${done}; sleep 600`]);
    return new Term(name);
  }
  screen(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
  }
  keys(...k: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...k]);
  }
  /** Wait until the screen shows `text` (string or pattern). */
  async waitFor(text: string | RegExp, ms = 15000): Promise<string> {
    const t0 = Date.now();
    for (;;) {
      const s = this.screen();
      if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${String(text)}; screen:\n${s}`);
      await sleep(100);
    }
  }
  /** Move the list cursor (`> ` or `❯ ` at the line start) onto the row containing `text`. */
  async moveTo(text: string): Promise<void> {
    const s = await this.waitFor(text);
    const lines = s.split('\n');
    const cur = lines.findIndex((l) => /^[>❯] /.test(l));
    const want = lines.findIndex((l) => l.includes(text));
    expect(cur).toBeGreaterThanOrEqual(0);
    const n = want - cur;
    for (let i = 0; i < Math.abs(n); i++) this.keys(n > 0 ? 'Down' : 'Up');
    await this.waitFor(new RegExp(`^[>❯] .*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
  }
  async exitStatus(ms = 15000): Promise<number> {
    const f = join(work, `${this.name}.status`);
    const t0 = Date.now();
    while (!existsSync(f) || readFileSync(f, 'utf8').trim() === '') {
      if (Date.now() - t0 > ms) throw new Error(`no exit; screen:\n${this.screen()}`);
      await sleep(100);
    }
    return Number(readFileSync(f, 'utf8').trim());
  }
  kill(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
    } catch { /* gone */ }
  }
}

/** The C conf in `dir` (as `make` runs it: srctree in the environment, Kconfig as argument). */
function cConf(dir: string, args: string[], input = ''): string {
  return execFileSync(conf, [...args, 'Kconfig'], { cwd: dir, env: { ...process.env, srctree: tree }, input, encoding: 'latin1' });
}

/** An object tree holding the C conf's defconfig of the samples (with auto.conf written). */
function freshObjtree(name: string): string {
  const d = join(work, name);
  mkdirSync(d, { recursive: true });
  cConf(d, ['-s', `--defconfig=${join(tree, 'configs/kbuildts_defconfig')}`]);
  return d;
}

/** `.config` lines with the given symbols' lines replaced by new values (appended). */
function withValues(config: string, values: Record<string, string>): string {
  const keep = config.split('\n').filter((l) => !Object.keys(values).some((s) => l.startsWith(`CONFIG_${s}=`) || l === `# CONFIG_${s} is not set`));
  return `${keep.join('\n')}\n${Object.entries(values).map(([s, v]) => (v === 'n' ? `# CONFIG_${s} is not set` : `CONFIG_${s}=${v}`)).join('\n')}\n`;
}

beforeAll(() => {
  execFileSync('tmux', ['-V']);
  expect(existsSync(CLI)).toBe(true);
  conf = loadManifest().linuxSource['6.1']!.conf;
  work = mkdtempSync(join(tmpdir(), 'kbt-tui-'));
  tree = join(work, 'samples');
  cpSync(join(REPO, 'samples'), tree, { recursive: true });
  appendFileSync(join(tree, 'drivers/kbts/hello/Kconfig'), [
    '', 'config KBTS_HELLO_COUNT', '\tint "Greeting count"', '\tdepends on KBTS_HELLO', '\trange 1 16', '\tdefault 2',
    '\thelp', '\t  How many times the driver greets.', '',
  ].join('\n'));
});

afterAll(() => {
  for (const n of ['kbt-mc', 'kbt-mc0', 'kbt-oc']) new Term(n).kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('menuconfig: tristate to m, another choice member, an int; saved .config equals the C conf olddefconfig', async () => {
  const ts = freshObjtree('mc-ts');
  const before = readFileSync(join(ts, '.config'), 'latin1');
  const t = Term.start('kbt-mc', ts, `node ${CLI} menuconfig --srctree ${tree} --objtree ${ts}`);
  try {
    await t.waitFor('Device Drivers  --->');
    await t.moveTo('Device Drivers');
    t.keys('Enter');
    await t.moveTo('kbuildts sample drivers  --->');
    t.keys('Enter');
    await t.waitFor('--- kbuildts sample drivers');
    let s = await t.waitFor('(2)');
    expect(s).toMatch(/<M> +Hello driver with module parameters/);
    expect(s).toMatch(/\(2\) +Greeting count\n/);
    expect(s).toMatch(/<\*> +Driver registered at the subsys initcall level/);
    expect(s).toMatch(/Greeting style \(Casual\)  --->/);

    // A built-in tristate set to m.
    await t.moveTo('Driver registered at the subsys initcall level');
    t.keys('m');
    await t.waitFor(/<M> +Driver registered at the subsys initcall level/);

    // Help shows the help text and the Symbol/Type/Depends block of menu_get_ext_help().
    await t.moveTo('Greeting count');
    t.keys('?');
    s = await t.waitFor('Symbol: KBTS_HELLO_COUNT [=2]');
    expect(s).toContain('CONFIG_KBTS_HELLO_COUNT:');
    expect(s).toContain('How many times the driver greets.');
    expect(s).toContain('Type  : integer');
    expect(s).toContain('Range : [1 16]');
    expect(s).toMatch(/Depends on: .*KBTS_HELLO \[=m\]/);
    t.keys('Enter');

    // An int: out of range refused, then a good value.
    await t.moveTo('Greeting count');
    t.keys('Enter');
    await t.waitFor('Greeting count (a decimal value');
    t.keys('C-u', '20', 'Enter');
    await t.waitFor('You have made an invalid entry.');
    t.keys('C-u', '7', 'Enter');
    await t.waitFor(/\(7\) +Greeting count/);

    // Another choice member.
    await t.moveTo('Greeting style (Casual)');
    t.keys('Enter');
    await t.waitFor('(X) Casual');
    await t.moveTo('( ) Formal');
    t.keys('Enter');
    await t.waitFor('Greeting style (Formal)  --->');

    // Search by symbol name, jump to the result.
    t.keys('/');
    await t.waitFor('Search Configuration Parameter');
    t.keys('consumer', 'Enter');
    s = await t.waitFor('KBTS_CONSUMER [=m]');
    t.keys('Enter');
    s = await t.waitFor(/^> <M> +Consumer of the exported symbol/m);
    expect(s).toContain('→ Device Drivers → kbuildts sample drivers → Search (consumer) → Symbol export');
    t.keys('Escape');
    await t.waitFor('Search Results (1)');
    t.keys('Escape');
    await t.waitFor('Greeting style (Formal)');

    t.keys('q');
    await t.waitFor('Do you wish to save your new configuration?');
    t.keys('Enter');
    expect(await t.exitStatus()).toBe(0);
    expect(t.screen()).toContain('configuration written to .config');
  } finally {
    t.kill();
  }
  // The C conf, given the same user values, writes the same files.
  const c = join(work, 'mc-c');
  mkdirSync(c);
  writeFileSync(join(c, '.config'), withValues(before, { KBTS_EARLY: 'm', KBTS_FLAGS_CASUAL: 'n', KBTS_FLAGS_FORMAL: 'y', KBTS_HELLO_COUNT: '7' }), 'latin1');
  cConf(c, ['-s', '--olddefconfig']);
  const got = readFileSync(join(ts, '.config'), 'latin1');
  expect(got).toBe(readFileSync(join(c, '.config'), 'latin1'));
  expect(got).toContain('CONFIG_KBTS_EARLY=m\n');
  expect(got).toContain('CONFIG_KBTS_FLAGS_FORMAL=y\n');
  expect(got).toContain('CONFIG_KBTS_HELLO_COUNT=7\n');
  expect(readFileSync(join(ts, '.config.old'), 'latin1')).toBe(before);
  for (const f of ['include/config/auto.conf', 'include/generated/autoconf.h']) {
    expect(readFileSync(join(ts, f), 'latin1')).toBe(readFileSync(join(c, f), 'latin1'));
  }
  // No temporary file is left behind by the atomic writes.
  expect(readdirSync(ts).filter((f) => /tmp/.test(f))).toEqual([]);
});

test('menuconfig: leaving without changes writes nothing', async () => {
  const ts = freshObjtree('mc0-ts');
  rmSync(join(ts, 'include'), { recursive: true });
  const before = readFileSync(join(ts, '.config'));
  const mtime = statSync(join(ts, '.config')).mtimeMs;
  const t = Term.start('kbt-mc0', ts, `node ${CLI} menuconfig --srctree ${tree} --objtree ${ts}`);
  try {
    await t.moveTo('Device Drivers');
    t.keys('Enter');
    await t.moveTo('kbuildts sample drivers  --->');
    t.keys('Enter');
    await t.waitFor('--- kbuildts sample drivers');
    t.keys('Escape');
    await t.waitFor('> [*] kbuildts sample drivers  --->');
    t.keys('Escape');
    await sleep(700);
    t.keys('q');
    expect(await t.exitStatus()).toBe(0);
    const s = t.screen();
    expect(s).not.toContain('Do you wish to save');
    expect(s).toContain('*** End of the configuration.');
  } finally {
    t.kill();
  }
  expect(readFileSync(join(ts, '.config')).equals(before)).toBe(true);
  expect(statSync(join(ts, '.config')).mtimeMs).toBe(mtime);
  expect(readdirSync(ts).sort()).toEqual(['.config']);
});

test('config oldconfig on a terminal asks only the new symbols, as conf does', async () => {
  const ts = freshObjtree('oc-ts');
  rmSync(join(ts, 'include'), { recursive: true });
  const thinned = readFileSync(join(ts, '.config'), 'latin1').split('\n')
    .filter((l) => !/KBTS_HELLO(_COUNT)?=|KBTS_FLAGS_FORMAL|KBTS_FLAGS_CASUAL|KBTS_EARLY/.test(l)).join('\n');
  writeFileSync(join(ts, '.config'), thinned, 'latin1');
  const t = Term.start('kbt-oc', ts, `node ${CLI} config oldconfig --srctree ${tree} --objtree ${ts}`);
  try {
    let s = await t.waitFor('Hello driver with module parameters (KBTS_HELLO) [N/m/y/?] (NEW)');
    expect(s).toContain('kbuildts sample drivers (KBTS_DRIVERS) [Y/n/?] y');
    await t.moveTo('m  module');
    t.keys('Enter');
    // The int under KBTS_HELLO is new too: its default filled in.
    s = await t.waitFor('Greeting count (KBTS_HELLO_COUNT) [2] (NEW)');
    t.keys('C-u', '5', 'Enter');
    s = await t.waitFor('Greeting style choice[1-2?]:');
    expect(s).toContain('1. Formal (KBTS_FLAGS_FORMAL) (NEW)');
    // Help on `?`, then the question again.
    await t.moveTo('?  help');
    t.keys('Enter');
    s = await t.waitFor('Selects the -DKBTS_FLAGS_GREETING macro');
    await t.waitFor(/^❯ 1\. Formal/m);
    await t.moveTo('2. Casual');
    t.keys('Enter');
    await t.waitFor('Driver registered at the subsys initcall level (KBTS_EARLY) [N/m/y/?] (NEW)');
    await t.moveTo('y  yes, built in');
    t.keys('Enter');
    expect(await t.exitStatus()).toBe(0);
    s = t.screen();
    expect(s).toContain('configuration written to .config');
    // Old symbols were not asked.
    expect(s).toMatch(/Status reporter \(KBTS_STATUS\) \[Y\/n\/m\/\?\] y/);
  } finally {
    t.kill();
  }
  const c = join(work, 'oc-c');
  mkdirSync(c);
  writeFileSync(join(c, '.config'), thinned, 'latin1');
  cConf(c, ['-s', '--oldconfig'], 'm\n5\n?\n2\ny\n');
  for (const f of ['.config', '.config.old', 'include/config/auto.conf', 'include/generated/autoconf.h']) {
    expect(readFileSync(join(ts, f), 'latin1')).toBe(readFileSync(join(c, f), 'latin1'));
  }
});

test('a Linux 6.12 tree loads, and selecting a choice member goes through choice_set_value', async () => {
  const { loadSession } = await import('../src/tui/session.js');
  const { symCalcValue, symToggleTristateValue } = await import('../src/kconfig/evaluate.js');
  const src = loadManifest().linuxSource['6.12'];
  const obj = mkdtempSync(join(tmpdir(), 'kbuildts-tui612-'));
  writeFileSync(join(obj, '.config'), 'CONFIG_ARM64_4K_PAGES=y\n');
  const quiet = (): void => {};
  const session = loadSession({ srctree: src.srcDir, objtree: obj, arch: 'arm64', env: { ...process.env, KCONFIG_CONFIG: '.config' }, stdout: quiet, stderr: quiet });
  expect(session.ctx.tree.version).toBe('6.12');
  const sym = (n: string) => session.ctx.tree.byName.get(n)!;
  symCalcValue(sym('ARM64_4K_PAGES'));
  expect(sym('ARM64_4K_PAGES').curr.tri).toBe(2);
  symToggleTristateValue(sym('ARM64_64K_PAGES'));
  for (const n of ['ARM64_4K_PAGES', 'ARM64_16K_PAGES', 'ARM64_64K_PAGES']) symCalcValue(sym(n));
  expect([sym('ARM64_4K_PAGES').curr.tri, sym('ARM64_16K_PAGES').curr.tri, sym('ARM64_64K_PAGES').curr.tri]).toEqual([0, 0, 2]);
  rmSync(obj, { recursive: true, force: true });
});
