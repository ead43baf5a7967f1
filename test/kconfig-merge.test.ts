/**
 * src/kconfig/merge.ts against the real thing: scripts/kconfig/merge_config.sh of Linux 6.1 run
 * with /bin/sh on the same inputs, and `make tinyconfig` run by the kernel's own make and C conf
 * in an O= directory of a private kernel tree, compared byte for byte with runTinyconfig.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadManifest } from '../src/runner/cache.js';
import { fragmentSymbols, mergeConfig } from '../src/kconfig/merge.js';
import { runConfig } from '../src/kconfig/config.js';
import { prepareKernelTree } from '../src/runner/kernel-tree.js';

const pristine = loadManifest().linuxSource['6.1']!.srcDir;
const script = join(pristine, 'scripts/kconfig/merge_config.sh');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kbuildts-merge-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Run merge_config.sh -m [flags] .config frag... in a fresh directory; return .config and stdout. */
async function shMerge(base: string | null, frags: string[], flags: string[] = []): Promise<{ text: string; stdout: string }> {
  const dir = mkdtempSync(join(work, 'case-'));
  if (base !== null) writeFileSync(join(dir, '.config'), base);
  const names = frags.map((f, i) => {
    writeFileSync(join(dir, `frag${i}.config`), f);
    return `frag${i}.config`;
  });
  const r = await execa('sh', [script, ...flags, '-m', '.config', ...names], { cwd: dir, env: { LC_ALL: 'C' } });
  return { text: readFileSync(join(dir, '.config'), 'utf8'), stdout: r.stdout };
}

const BASE = `CONFIG_A=y
# CONFIG_B is not set
CONFIG_HAVE_KERNEL_XZ=y
CONFIG_KERNEL_XZ=y
CONFIG_C=m
CONFIG_S="hello world"
CONFIG_AB=y
`;

const CASES: { name: string; base: string | null; frags: string[]; flags?: string[] }[] = [
  { name: 'override, unset and new symbols', base: BASE, frags: ['CONFIG_B=y\n# CONFIG_A is not set\nCONFIG_NEW=y\n'] },
  { name: 'the substring quirk of sed /CFG[ =]/d', base: BASE, frags: ['# CONFIG_KERNEL_XZ is not set\n'] },
  { name: 'same value (no message) and comments kept', base: BASE, frags: ['# a comment\nCONFIG_C=m\n\nCONFIG_S="bye"\n'] },
  { name: 'two fragments, later wins', base: BASE, frags: ['CONFIG_C=y\n', 'CONFIG_C=n\nCONFIG_A=m\n'] },
  { name: '-y keeps y over m', base: BASE, frags: ['CONFIG_A=m\nCONFIG_C=y\n'], flags: ['-y'] },
  { name: '-r reports redundant values', base: BASE, frags: ['CONFIG_A=y\n'], flags: ['-r'] },
  { name: 'missing base', base: null, frags: ['CONFIG_X=y\n'] },
  { name: 'base without final newline', base: 'CONFIG_A=y', frags: ['CONFIG_B=y\n'] },
];

test.each(CASES)('mergeConfig = merge_config.sh -m: $name', async ({ base, frags, flags }) => {
  const sh = await shMerge(base, frags, flags ?? []);
  const ts = mergeConfig(base ?? '', frags.map((text, i) => ({ name: `frag${i}.config`, text })), {
    builtin: flags?.includes('-y'), warnRedundant: flags?.includes('-r'),
  });
  expect(ts.text).toBe(sh.text);
  // merge_config.sh's messages, minus the closing "merged configuration written" banner.
  const shMessages = sh.stdout.split('\n').filter((l) => !/^#|^The base file/.test(l));
  while (shMessages.length && shMessages[shMessages.length - 1] === '') shMessages.pop();
  const tsMessages = [...ts.messages];
  while (tsMessages.length && tsMessages[tsMessages.length - 1] === '') tsMessages.pop();
  expect(tsMessages).toEqual(shMessages);
});

test('fragmentSymbols reads both line forms, nothing else', () => {
  expect(fragmentSymbols('CONFIG_A=y\n# CONFIG_B is not set\n# CONFIG_C is set\nFOO=1\n #CONFIG_D is not set\n')).toEqual(['CONFIG_A', 'CONFIG_B']);
});

test('strict mode rejects a redefinition', () => {
  expect(() => mergeConfig('CONFIG_A=y\n', [{ name: 'f', text: 'CONFIG_A=n\n' }], { strict: true })).toThrow(/strict mode/);
});

test('runConfig tinyconfig writes the .config that `make tinyconfig` writes (arm64, Linux 6.1)', async () => {
  const tree = await prepareKernelTree({});
  const cOut = mkdtempSync(join(work, 'make-tinyconfig-'));
  const tsOut = mkdtempSync(join(work, 'kbuildts-tinyconfig-'));
  await execa('make', ['-C', tree.srcDir, `O=${cOut}`, 'ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-', 'tinyconfig'], { env: { LC_ALL: 'C', LANG: 'C' } });
  const r = runConfig({ mode: 'tinyconfig', srctree: tree.srcDir, objtree: tsOut, arch: 'arm64', crossCompile: 'aarch64-linux-gnu-', silent: true });
  expect(r.stdout).toContain(`Merging ${join(tree.srcDir, 'kernel/configs/tiny.config')}`);
  const expected = readFileSync(join(cOut, '.config'), 'utf8');
  expect(readFileSync(join(tsOut, '.config'), 'utf8')).toBe(expected);
  expect(expected).toMatch(/^CONFIG_SLOB=y$/m);
  expect(expected).toMatch(/^CONFIG_CC_OPTIMIZE_FOR_SIZE=y$/m);
});

test('kbuildts config merge BASE FRAGMENT... = merge_config.sh BASE FRAGMENT... (alldefconfig, Linux 6.1 arm64)', async () => {
  const dir = mkdtempSync(join(work, 'merge-script-'));
  const base = join(dir, 'base.config');
  const frag = join(dir, 'frag.config');
  writeFileSync(base, 'CONFIG_MODULES=y\nCONFIG_NET=y\n# CONFIG_BLOCK is not set\n');
  // PCI_IOV needs PCI, which alldefconfig leaves off: reported as "not in final .config"
  writeFileSync(frag, 'CONFIG_BLOCK=y\nCONFIG_PCI_IOV=y\nCONFIG_PRINTK=y\n');
  const cOut = join(dir, 'c');
  mkdirSync(cOut);
  // merge_config.sh runs `make O=<out> alldefconfig` from the kernel tree (its temporary merged
  // file, ./.tmp.config.*, lives there until the script's exit trap removes it).
  const env = { ...process.env, ARCH: 'arm64', CROSS_COMPILE: 'aarch64-linux-gnu-', LC_ALL: 'C' };
  const sh = await execa('sh', [script, '-O', cOut, base, frag], { cwd: pristine, env });
  const kOut = join(dir, 'k');
  const k = await execa(process.execPath, [join(process.cwd(), 'dist/cli/kbuildts.cjs'), 'config', 'merge', base, frag,
    '--srctree', pristine, '--objtree', kOut, '--arch', 'arm64'], { env: { ...process.env, LC_ALL: 'C' } });
  expect(readFileSync(join(kOut, '.config'), 'latin1')).toBe(readFileSync(join(cOut, '.config'), 'latin1'));
  const report = (out: string): string => out.slice(out.indexOf('Value requested'));
  expect(sh.stdout).toContain('Value requested for CONFIG_PCI_IOV not in final .config');
  expect(report(k.stdout)).toBe(report(sh.stdout));
});
