/**
 * The command line's contract for bad input, run as a user runs it (node dist/cli/kbuildts.cjs):
 * a malformed Kconfig line gives `file:line:col: message` and a non-zero exit, and the existing
 * .config is left exactly as it was (no half-written file, no temp file left behind); missing
 * parts name what provides them.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';

const CLI = join(process.cwd(), 'dist/cli/kbuildts.cjs');

function tree(kconfig: string): { src: string; obj: string } {
  const root = mkdtempSync(join(tmpdir(), 'kbuildts-cli-'));
  const src = join(root, 'src');
  const obj = join(root, 'obj');
  mkdirSync(src);
  mkdirSync(obj);
  writeFileSync(join(src, 'Kconfig'), kconfig);
  return { src, obj };
}

test('a malformed Kconfig line: file:line:col, exit 1, .config untouched', async () => {
  const { src, obj } = tree('mainmenu "t"\n\nconfig A\n\tbool "a"\n\tdepends on (B\n');
  const before = 'CONFIG_A=y\n';
  writeFileSync(join(obj, '.config'), before);
  const r = await execa('node', [CLI, 'config', 'olddefconfig', '--srctree', src, '--objtree', obj], { reject: false });
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/Kconfig:5:\d+: /);
  expect(readFileSync(join(obj, '.config'), 'utf8')).toBe(before);
  expect(readdirSync(obj).sort()).toEqual(['.config']);
});

test('a good run keeps the previous .config as .config.old', async () => {
  const { src, obj } = tree('mainmenu "t"\n\nconfig A\n\tbool "a"\n\tdefault y\n');
  writeFileSync(join(obj, '.config'), '# CONFIG_A is not set\n');
  const r = await execa('node', [CLI, 'config', 'alldefconfig', '--srctree', src, '--objtree', obj], { reject: false });
  expect(r.exitCode).toBe(0);
  expect(readFileSync(join(obj, '.config.old'), 'utf8')).toBe('# CONFIG_A is not set\n');
  expect(readFileSync(join(obj, '.config'), 'utf8')).toMatch(/^CONFIG_A=y$/m);
});

test('the installed command: dist/cli/kbuildts.cjs runs by its #! line (env -S node with V8 options)', async () => {
  // npm links the bin to this file; its #! line passes the young generation's size to node
  // (src/cli/kbuildts.cts). A bad option or a lost exec bit (package.json build) fails here.
  expect(readFileSync(CLI, 'utf8').split('\n', 1)[0]).toMatch(/^#!\/usr\/bin\/env -S node --max-semi-space-size=\d+ --min-semi-space-size=\d+$/);
  const { src, obj } = tree('mainmenu "t"\n\nconfig A\n\tbool "a"\n\tdefault y\n');
  const r = await execa(CLI, ['config', 'alldefconfig', '--srctree', src, '--objtree', obj], { reject: false });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  expect(readFileSync(join(obj, '.config'), 'utf8')).toMatch(/^CONFIG_A=y$/m);
});

test('config ends as soon as its work is done, with every line of a long output through a pipe', async () => {
  // listnewconfig prints one line per symbol (~200 kB, more than a pipe holds): the process
  // exits right after its action (src/cli/main.ts exitOnceFlushed) but never before stdout is written.
  const n = 6000;
  const { src, obj } = tree(`mainmenu "t"\n\n${Array.from({ length: n }, (_, i) => `config SYMBOL_WITH_A_LONG_NAME_${i}\n\tbool "s${i}"\n\tdefault y\n`).join('')}`);
  const r = await execa('node', [CLI, 'config', 'listnewconfig', '--srctree', src, '--objtree', obj, '--cross-compile', 'aarch64-linux-gnu-'], { reject: false, stripFinalNewline: false });
  expect(r.exitCode).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines.length).toBe(n + 1);
  expect(lines[n - 1]).toBe(`CONFIG_SYMBOL_WITH_A_LONG_NAME_${n - 1}=y`);
});

/** scripts/golden-regen.mjs: the path of the C conf built from each Debian tree. */
const regen = (await import(pathToFileURL(join(process.cwd(), 'scripts', 'golden-regen.mjs')).href)) as { confFor(series: string): string };

test.each([
  ['a missing defconfig file', ['defconfig', 'nope_defconfig'], ['--defconfig=nope_defconfig'], {}],
  ['KCONFIG_ALLCONFIG naming no file', ['allnoconfig'], ['--allnoconfig'], { KCONFIG_ALLCONFIG: 'nothere.config' }],
  ['KCONFIG_PROBABILITY out of range', ['randconfig'], ['--randconfig'], { KCONFIG_PROBABILITY: '50:20:90', KCONFIG_SEED: '3' }],
] as [string, string[], string[], Record<string, string>][])('%s: the CLI prints what conf prints (stdout, stderr, exit status)', async (_what, args, confArgs, env) => {
  // conf's own fatal messages (conf.c: fprintf(stderr, ...) or perror(), then exit 1) are
  // printed as they are, without kbuildts's "kbuildts: " prefix.
  const { src, obj } = tree('mainmenu "t"\n\nconfig MODULES\n\tbool "modules"\n\tmodules\nconfig A\n\ttristate "a"\n');
  const cobj = join(src, '..', 'cobj');
  mkdirSync(cobj);
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', KCONFIG_CONFIG: '.config', ...env };
  const c = await execa(regen.confFor('6.1'), ['-s', ...confArgs, 'Kconfig'], { cwd: cobj, env: { ...base, srctree: src }, extendEnv: false, reject: false });
  const r = await execa('node', [CLI, 'config', ...args, '-s', '--srctree', src, '--objtree', obj], { env: base, extendEnv: false, reject: false });
  expect(c.exitCode).toBe(1);
  expect(c.stderr.length).toBeGreaterThan(0);
  expect({ status: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: c.exitCode, stdout: c.stdout, stderr: c.stderr });
});

test('a missing cross compiler names the Debian package', async () => {
  const { src, obj } = tree('mainmenu "t"\n\nconfig A\n\tbool "a"\n');
  const r = await execa('node', [CLI, 'config', 'allnoconfig', '--srctree', src, '--objtree', obj, '--cross-compile', 'nonexistent-linux-gnu-'], { reject: false });
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/compiler nonexistent-linux-gnu-gcc not found/);
  // A PATH without the cross compiler (an empty directory): the default arm64 prefix is missing.
  const r2 = await execa(process.execPath, [CLI, 'config', 'allnoconfig', '--srctree', src, '--objtree', obj, '--arch', 'arm64'], {
    reject: false,
    env: { PATH: mkdtempSync(join(tmpdir(), 'kbuildts-empty-path-')) },
    extendEnv: false,
  });
  expect(r2.exitCode).toBe(1);
  expect(r2.stderr).toMatch(/gcc-aarch64-linux-gnu/);
});

test('a missing KDIR says so', async () => {
  const { obj } = tree('mainmenu "t"\n');
  writeFileSync(join(obj, '.config'), 'CONFIG_KBTS_DRIVERS=y\nCONFIG_KBTS_HELLO=m\n');
  const r = await execa('node', [CLI, 'build', '--arch', 'arm64', '--kdir', '/nonexistent/kdir', '--config', join(obj, '.config'), 'samples'], { reject: false });
  expect(r.exitCode).not.toBe(0);
  expect(r.stderr).toMatch(/\/nonexistent\/kdir/);
});

describe('the launcher (src/cli/kbuildts.cts): the CLI from its bundle with a V8 code cache', () => {
  const codeCaches = (cache: string): string[] => {
    try {
      return readdirSync(join(cache, 'code')).sort();
    } catch {
      return [];
    }
  };
  const kconfig = 'mainmenu "t"\n\nconfig A\n\tbool "a"\n\tdefault y\nconfig B\n\tint "b"\n\trange 1 9\n\tdefault 4\n';

  test('the first run writes the cache, the next one takes it (not rewritten), a damaged one is replaced; every run writes the same files', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kbuildts-codecache-'));
    const run = async (): Promise<string> => {
      const { src, obj } = tree(kconfig);
      const r = await execa(CLI, ['config', 'alldefconfig', '-s', '--srctree', src, '--objtree', obj], { env: { KBUILDTS_CACHE: cache }, reject: false });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      return readFileSync(join(obj, '.config'), 'utf8') + readFileSync(join(obj, 'include/generated/autoconf.h'), 'utf8');
    };
    const first = await run();
    expect(first).toMatch(/^CONFIG_B=4$/m);
    const files = codeCaches(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{16}-v\d+\.\d+\.\d+-[0-9a-f]+-config\.v8$/);
    const file = join(cache, 'code', files[0]);
    const made = readFileSync(file);
    expect(made.length).toBeGreaterThan(10_000);
    const { mtimeMs } = statSync(file);

    // V8 accepted it: a rejected cache would be written again at exit.
    expect(await run()).toBe(first);
    expect(statSync(file).mtimeMs).toBe(mtimeMs);
    expect(readFileSync(file).equals(made)).toBe(true);

    // Damaged: V8 rejects it, the run is unaffected, and a good one replaces it.
    writeFileSync(file, Buffer.alloc(made.length, 0x5a));
    expect(await run()).toBe(first);
    expect(readFileSync(file)[0]).not.toBe(0x5a);
    expect(codeCaches(cache)).toEqual(files);
  });

  test('writing a cache keeps the 12 newest of the directory', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kbuildts-codecache-'));
    mkdirSync(join(cache, 'code'));
    const old = Array.from({ length: 13 }, (_, i) => `${String(i).padStart(16, '0')}-v0.0.0-0-config.v8`);
    old.forEach((n, i) => {
      writeFileSync(join(cache, 'code', n), 'x');
      utimesSync(join(cache, 'code', n), 1_000_000 + i, 1_000_000 + i);
    });
    const { src, obj } = tree(kconfig);
    const r = await execa(CLI, ['config', 'alldefconfig', '--srctree', src, '--objtree', obj], { env: { KBUILDTS_CACHE: cache }, reject: false });
    expect(r.exitCode).toBe(0);
    const left = codeCaches(cache);
    expect(left).toHaveLength(12);
    // the new one and the 11 newest old ones
    expect(left.filter((n) => !old.includes(n))).toHaveLength(1);
    expect(left.filter((n) => old.includes(n))).toEqual(old.slice(2));
  });

  test('a bundle older than the compiled main.js (tsc ran after the build) is not run: the ES modules are', async () => {
    // A copy of the package (dist/ copied, the rest linked) whose main.js is newer than its bundle.
    const pkg = mkdtempSync(join(tmpdir(), 'kbuildts-stale-bundle-'));
    cpSync(join(process.cwd(), 'dist'), join(pkg, 'dist'), { recursive: true });
    for (const name of ['node_modules', 'grammar', 'templates', 'package.json']) symlinkSync(join(process.cwd(), name), join(pkg, name));
    const launcher = join(pkg, 'dist/cli/kbuildts.cjs');
    const cache = mkdtempSync(join(tmpdir(), 'kbuildts-codecache-'));
    const run = async (): Promise<string> => {
      const { src, obj } = tree(kconfig);
      const r = await execa(launcher, ['config', 'alldefconfig', '--srctree', src, '--objtree', obj], { env: { KBUILDTS_CACHE: cache }, reject: false });
      expect(r.exitCode).toBe(0);
      return r.stdout + readFileSync(join(obj, '.config'), 'utf8');
    };
    const fromBundle = await run();
    expect(codeCaches(cache)).toHaveLength(1);
    rmSync(join(cache, 'code'), { recursive: true });
    const later = (statSync(join(pkg, 'dist/cli/bundle.cjs')).mtimeMs + 5000) / 1000;
    utimesSync(join(pkg, 'dist/cli/main.js'), later, later);
    expect(await run()).toBe(fromBundle);
    expect(codeCaches(cache)).toEqual([]);
  });

  test('help, failed runs and KBUILDTS_BUNDLE=0 (the ES modules) write no cache; the ES modules write the same files', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kbuildts-codecache-'));
    const help = await execa(CLI, ['config', '--help'], { env: { KBUILDTS_CACHE: cache }, reject: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/Usage: kbuildts config/);
    const bad = tree('mainmenu "t"\n\nconfig A\n\tbool "a"\n\tdepends on (B\n');
    const failed = await execa(CLI, ['config', 'alldefconfig', '--srctree', bad.src, '--objtree', bad.obj], { env: { KBUILDTS_CACHE: cache }, reject: false });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/Kconfig:5:\d+: /);
    expect(codeCaches(cache)).toEqual([]);

    const outputs: string[] = [];
    for (const bundle of ['0', '1']) {
      const { src, obj } = tree(kconfig);
      const r = await execa(CLI, ['config', 'alldefconfig', '--srctree', src, '--objtree', obj], { env: { KBUILDTS_CACHE: cache, KBUILDTS_BUNDLE: bundle }, reject: false });
      expect(r.exitCode).toBe(0);
      outputs.push(r.stdout + readFileSync(join(obj, '.config'), 'utf8') + readFileSync(join(obj, 'include/config/auto.conf'), 'utf8'));
      expect(codeCaches(cache)).toHaveLength(bundle === '0' ? 0 : 1);
    }
    expect(outputs[1]).toBe(outputs[0]);
  });
});
