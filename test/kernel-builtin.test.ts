/**
 * A built-in driver in a real kernel, proven at boot (issue #4 item 6):
 *  1. a private Linux 6.1 tree with samples/drivers/kbts/early copied to drivers/early and wired in;
 *  2. configured by kbuildts's own Kconfig engine (tinyconfig + console/initramfs/driver fragment);
 *  3. the Image built by the kernel's make (O=, ARCH=arm64, -j2);
 *  4. booted in QEMU with initcall_debug: the driver's init is called at level 4
 *     (subsys_initcall, .initcall4.init in System.map), prints its line, returns 0.
 * The first build takes a few minutes; later runs reuse the tree and the object directory.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { bootArm64 } from '../src/runner/boot.js';
import { cacheDir } from '../src/runner/cache.js';
import { buildKernel, KERNEL_RECORD, type KernelBuildResult } from '../src/runner/kernel-build.js';
import { prepareKernelTree } from '../src/runner/kernel-tree.js';
import { builtinVerdictsForImage, formatVerdicts, judgeInitcalls, readInitcalls } from '../src/runner/initcalls.js';

const outDir = join(cacheDir(), 'kernel-build', 'out', 'test-arm64-early');
const samplesEarly = resolve('samples/drivers/kbts/early');
let first: KernelBuildResult;
/** What drivers/early/.kbuildts-driver named after wiring a copy of the driver from another checkout. */
let otherCheckoutMarker = '';

beforeAll(async () => {
  // The private tree lives in the shared cache and outlives a checkout: wire in the same driver
  // from another checkout first (the CI machine's clone at another path saw the developer's copy).
  const other = mkdtempSync(join(tmpdir(), 'kbuildts-other-checkout-'));
  try {
    cpSync(samplesEarly, join(other, 'early'), { recursive: true });
    const t = await prepareKernelTree({ driver: join(other, 'early') });
    otherCheckoutMarker = readFileSync(join(t.srcDir, 'drivers/early/.kbuildts-driver'), 'utf8').trim();
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
  first = await buildKernel({ outDir, jobs: 2 });
}, 3_600_000);

test('drivers/<name> copied from another checkout is taken over by this one, not refused', () => {
  expect(otherCheckoutMarker).toMatch(/kbuildts-other-checkout-.*\/early$/);
  expect(readFileSync(join(first.tree.srcDir, 'drivers/early/.kbuildts-driver'), 'utf8').trim()).toBe(samplesEarly);
  expect(first.tree.driver!.origin).toBe(samplesEarly);
});

test('the kernel tree has the driver copied into drivers/ and wired in', () => {
  const d = first.tree.driver!;
  expect(d.relDir).toBe('drivers/early');
  expect(d.symbol).toBe('KBTS_EARLY');
  expect(d.objects).toEqual(['kbts_early']);
  expect(existsSync(join(first.tree.srcDir, 'drivers/early/kbts_early.c'))).toBe(true);
  expect(readFileSync(join(first.tree.srcDir, 'drivers/Kconfig'), 'utf8')).toMatch(/^source "drivers\/early\/Kconfig"$/m);
  expect(readFileSync(join(first.tree.srcDir, 'drivers/Makefile'), 'utf8')).toMatch(/^obj-\$\(CONFIG_KBTS_EARLY\)\t\+= early\/$/m);
});

test('kbuildts configured it: tinyconfig plus the boot symbols and the driver =y, kept by the kernel\'s syncconfig', () => {
  const config = readFileSync(first.configFile, 'utf8');
  for (const sym of ['KBTS_EARLY', 'PRINTK', 'TTY', 'SERIAL_AMBA_PL011', 'SERIAL_AMBA_PL011_CONSOLE', 'BLK_DEV_INITRD', 'RD_GZIP', 'BINFMT_ELF', 'BINFMT_SCRIPT', 'KALLSYMS']) {
    expect(config).toMatch(new RegExp(`^CONFIG_${sym}=y$`, 'm'));
  }
  // tinyconfig's own marks (kernel/configs/tiny.config, tiny-base.config) and allnoconfig's n.
  expect(config).toMatch(/^CONFIG_SLOB=y$/m);
  expect(config).toMatch(/^CONFIG_CC_OPTIMIZE_FOR_SIZE=y$/m);
  expect(config).toMatch(/^# CONFIG_MODULES is not set$/m);
  // make's syncconfig (the C conf) rewrote nothing: kbuildts's .config is already its fixpoint.
  expect(first.syncconfigAgrees).toBe(true);
  expect(JSON.parse(readFileSync(join(outDir, KERNEL_RECORD), 'utf8'))).toMatchObject({ relDir: 'drivers/early', objects: ['kbts_early'] });
});

test('the Image is built and System.map places the driver\'s initcall at level 4', () => {
  expect(existsSync(first.image)).toBe(true);
  expect(first.imageBytes).toBeGreaterThan(1_000_000);
  const calls = readInitcalls(readFileSync(first.systemMap, 'utf8'));
  const mine = calls.filter((c) => c.modname === 'kbts_early');
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({ fn: 'kbts_early_init', level: '4', id: '4', section: '.initcall4.init' });
  // The same entry in the compiled object's own section.
  expect(first.initcalls).toEqual([expect.objectContaining({ symbol: mine[0]!.symbol, section: '.initcall4.init', id: '4' })]);
  expect(first.initcalls[0]!.object).toBe(join(outDir, 'drivers/early/kbts_early.o'));
  // Sanity of the level reading on the kernel's own initcalls (include/linux/init.h users).
  expect(calls.find((c) => c.fn === 'param_sysfs_init' || c.fn === 'init_per_zone_wmark_min')).toBeDefined();
});

test('a second build with nothing changed reuses the configuration and runs no compile', async () => {
  const again = await buildKernel({ outDir, jobs: 2 });
  expect(again.tree.created).toBe(false);
  expect(again.tree.driver!.copied).toEqual([]);
  expect(again.tree.driver!.edited).toEqual([]);
  // The configuration is recomputed only when the Kconfig engine's code changed in between;
  // either way OUT/.config is left as it was.
  if (again.engineFingerprint === first.engineFingerprint) expect(again.configured).toBe(false);
  expect(again.configChanged).toBe(false);
  expect(again.stepsByVerb.CC ?? 0).toBe(0);
  expect(again.stepsByVerb.LD ?? 0).toBe(0);
}, 600_000);

test('booted with initcall_debug, the driver\'s init runs at level 4, prints its line, returns 0', async () => {
  const r = await bootArm64({ kernel: first.image, append: 'initcall_debug loglevel=8', timeoutMs: 300_000 });
  expect(r.problems).toEqual([]);
  expect(r.console).toMatch(/^calling {2}kbts_early_init\+0x0\/0x[0-9a-f]+ @ 1$/m);
  expect(r.console).toMatch(/^initcall kbts_early_init\+0x0\/0x[0-9a-f]+ returned 0 after \d+ usecs$/m);
  const verdicts = judgeInitcalls({ systemMap: readFileSync(first.systemMap, 'utf8'), console: r.console, modnames: ['kbts_early'] });
  expect(verdicts).toHaveLength(1);
  const v = verdicts[0]!;
  expect(v).toMatchObject({ fn: 'kbts_early_init', level: '4', levelName: 'subsys_initcall', called: true, rc: 0, inLevelOrder: true, ok: true });
  expect(v.output).toContain('kbts_early: built in, subsys initcall (file drivers/early/kbts_early)');
  // What `kbuildts boot --kernel OUT/arch/arm64/boot/Image` prints, from the record next to it.
  const b = builtinVerdictsForImage(first.image, r.console)!;
  expect(formatVerdicts(b.record, b.verdicts)).toMatch(/kbts_early_init at level 4 \(subsys_initcall, \.initcall4\.init\), rc=0.* OK/);
}, 600_000);

test('the CLI: kbuildts boot --kernel Image --append "initcall_debug loglevel=8" prints the verdict', async () => {
  const cli = join(process.cwd(), 'dist/cli/kbuildts.cjs');
  expect(existsSync(cli)).toBe(true); // `npm test` builds dist first
  const r = await execa('node', [cli, 'boot', '--quiet', '--kernel', first.image, '--append', 'initcall_debug loglevel=8'], { reject: false });
  expect(r.stdout).toMatch(/built-in driver drivers\/early \(kbts_early\): kbts_early_init at level 4 \(subsys_initcall, \.initcall4\.init\), rc=0/);
  expect(r.exitCode).toBe(0);
}, 600_000);

test('the CLI: kbuildts build --arch arm64 --kernel -j 2 --out O reports the configuration and the Image', async () => {
  const cli = join(process.cwd(), 'dist/cli/kbuildts.cjs');
  expect(existsSync(cli)).toBe(true); // `npm test` builds dist first
  const r = await execa('node', [cli, 'build', '--arch', 'arm64', '--kernel', '-j', '2', '--out', outDir], { reject: false, all: true });
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/^driver +.*samples\/drivers\/kbts\/early → drivers\/early \(obj-\$\(CONFIG_KBTS_EARLY\) \+= early\/\)/m);
  expect(r.stdout).toMatch(/KBTS_EARLY=y/);
  expect(r.stdout).toMatch(/kernel syncconfig left it byte-identical/);
  expect(r.stdout).toContain(`Image         ${first.image}`);
}, 600_000);
