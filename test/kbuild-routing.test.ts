/**
 * Kbuild routing (src/kbuild/routing.ts) of the samples tree and of a fixture of corner cases,
 * and the makefile reader's errors. The samples' .config comes from the kernel's own C `conf`
 * (the oracle built by `npm run setup`); the corner cases are checked against the real Kbuild:
 * the fixture's own makefiles are run by `make -C KDIR M=<copy>` with the same CONFIG_ values on
 * the command line, and the objects it compiles, the .ko files it links and the -D/-I flags it
 * records in each `.<obj>.cmd` must be what the routing says.
 *
 * Needs: the 6.1 conf oracle and the arm64 KDIR from the set-up manifest ($KBUILDTS_KDIR overrides).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import fg from 'fast-glob';
import { parseDotConfig, readDotConfig } from '../src/kbuild/dotconfig.js';
import { evaluateMakefile, KbuildError, parseMakefile, words } from '../src/kbuild/makefile.js';
import { routeTree, type RoutedObject, type Routing } from '../src/kbuild/routing.js';
import { formatPlan, planJson } from '../src/kbuild/plan.js';
import { loadManifest } from '../src/runner/cache.js';

const SAMPLES = join(process.cwd(), 'samples');
const CORNERS = join(process.cwd(), 'test/fixtures/kbuild-corners');

function kdirOf(): string {
  return process.env.KBUILDTS_KDIR ?? loadManifest().arm64!.kdir;
}

/** Run the kernel's C conf on the samples Kconfig with a defconfig text; returns the .config path. */
async function cConf(defconfig: string): Promise<string> {
  const conf = loadManifest().linuxSource['6.1']!.conf;
  const dir = mkdtempSync(join(tmpdir(), 'kbt-routing-conf-'));
  writeFileSync(join(dir, 'defconfig'), defconfig);
  await execa(conf, [`--defconfig=${join(dir, 'defconfig')}`, 'Kconfig'], { cwd: dir, env: { srctree: SAMPLES } });
  return join(dir, '.config');
}

function obj(r: Routing, path: string): RoutedObject {
  const o = r.objects.find((x) => x.object === path);
  if (!o) throw new Error(`${path} not routed; have ${r.objects.map((x) => x.object).join(', ')}`);
  return o;
}

/**
 * Run the real Kbuild on a copy of `root` with its own makefiles and the routing's CONFIG_ values on
 * the make command line (`make modules`, then the built-in parts as single targets), and check:
 * the .ko files are exactly the routed modules; dropped obj-y objects are not compiled; each
 * compiled part's `.cmd` holds the routed -D/-I/-U flags contiguously, in order ($(src) and
 * KBUILD_MODFILE resolved as an M= build resolves them: to the absolute directory).
 */
async function agreesWithKbuild(root: string, r: Routing): Promise<void> {
  const kdir = kdirOf();
  const work = mkdtempSync(join(tmpdir(), 'kbt-kbuild-agree-'));
  try {
    cpSync(root, work, { recursive: true });
    const config = readDotConfig(r.configFile);
    const vars = [...config.values].map(([k, v]) => `${k}=${v}`);
    const make = ['-C', kdir, 'ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-', `M=${work}`, ...vars];
    await execa('make', [...make, 'modules'], { all: true });
    const builtinParts = r.objects.filter((o) => o.route === 'built-in').flatMap((o) => o.parts.map((p) => p.object));
    if (builtinParts.length > 0) await execa('make', [...make, ...builtinParts], { all: true });

    const kos = (await fg('**/*.ko', { cwd: work })).sort();
    expect(kos).toEqual(r.objects.filter((o) => o.route === 'module').map((o) => o.output).sort());
    for (const o of r.objects.filter((x) => x.route === 'dropped' && x.reason?.startsWith('obj-y'))) {
      for (const p of o.parts) expect(existsSync(join(work, p.object))).toBe(false);
    }
    for (const o of r.objects.filter((x) => x.route !== 'dropped')) {
      for (const p of o.parts) {
        const dir = p.object.includes('/') ? p.object.slice(0, p.object.lastIndexOf('/')) : '';
        const base = p.object.slice(p.object.lastIndexOf('/') + 1);
        const cmd = readFileSync(join(work, dir, `.${base}.cmd`), 'utf8').split('\n')[0]!;
        const pick = (ts: string[]): string[] => ts.filter((t) => /^-[DIU]/.test(t));
        const real = pick(cmd.split(/\s+/)).map((t) => t.replace(/\/\/+/g, '/'));
        const absDir = dir === '' ? work : `${work}/${dir}`;
        const mine = pick(p.flags).map((f) => f.replace('$(src)', absDir).replace(/KBUILD_MODFILE='"/, `KBUILD_MODFILE='"${work}/`));
        const at = real.findIndex((_, i) => mine.every((m, k) => real[i + k] === m));
        expect({ part: p.object, found: at >= 0, real: at >= 0 ? mine : real }).toEqual({ part: p.object, found: true, real: mine });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('makefile reader', () => {
  test('continuations, comments, computed names, conditionals on config values', () => {
    const mf = parseMakefile(
      [
        '# comment',
        'obj-$(CONFIG_A) += a.o \\',
        '\t\tb.o # trailing comment',
        'x := 1',
        'y = $(x) two',
        'x := 3',
        'ifdef CONFIG_B',
        'obj-y += defined.o',
        'else ifeq ($(CONFIG_A),m)',
        'obj-y += a_is_m.o',
        'else',
        'obj-y += neither.o',
        'endif',
        'ifneq "$(CONFIG_S)" ""',
        'obj-y += $(CONFIG_S:"%"=%).o',
        'endif',
        'esc := a\\#b',
        'lst := a.o b.o',
        'srcs := $(lst:.o=.c)',
      ].join('\n'),
      'Kbuild',
    );
    const v = evaluateMakefile(mf, { CONFIG_A: 'm', CONFIG_S: '"named"' });
    expect(words(v, 'obj-m')).toEqual(['a.o', 'b.o']);
    expect(words(v, 'y')).toEqual(['3', 'two']); // recursive: expands at use
    expect(words(v, 'obj-y')).toEqual(['a_is_m.o', 'named.o']);
    expect(words(v, 'esc')).toEqual(['a#b']);
    expect(words(v, 'srcs')).toEqual(['a.c', 'b.c']);
    const v2 = evaluateMakefile(mf, { CONFIG_B: 'y' });
    expect(words(v2, 'obj-y')).toEqual(['defined.o']);
    expect(words(v2, 'obj-')).toEqual(['a.o', 'b.o']);
  });

  test.each([
    ['obj-y += a.o\nall:\n\t$(MAKE) -C x\n', 'Kbuild:2:1: unsupported rule'],
    ['obj-y += $(shell ls)\n', 'Kbuild:1:10: unsupported make function $(shell ...)'],
    ['obj-y += a.o \\\n   $(addprefix x/,b.o)\n', 'Kbuild:2:4: unsupported make function $(addprefix ...)'],
    ['include foo.mk\n', "Kbuild:1:1: unsupported 'include' directive"],
    ['ifdef CONFIG_X\nobj-y += a.o\n', "Kbuild:1:1: missing 'endif'"],
    ['endif\n', "Kbuild:1:1: 'endif' without a matching 'if'"],
    ['  ifeq (a b)\nendif\n', 'Kbuild:1:8: invalid ifeq argument'],
  ])('error for %j', (text, msg) => {
    let err: unknown;
    try {
      evaluateMakefile(parseMakefile(text, 'Kbuild'), {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KbuildError);
    expect((err as Error).message.startsWith(msg)).toBe(true);
  });

  test('constructs in branches make does not take are not errors (the make -C wrapper idiom)', () => {
    const mf = parseMakefile('ifneq ($(KERNELRELEASE),)\nobj-m := w.o\nelse\nKDIR ?= /lib/modules/$(shell uname -r)/build\nall:\n\t$(MAKE) -C $(KDIR) M=$(PWD) modules\nendif\n', 'Makefile');
    expect(words(evaluateMakefile(mf, { KERNELRELEASE: '6.1.0-56-arm64' }), 'obj-m')).toEqual(['w.o']);
    expect(() => evaluateMakefile(mf, {})).toThrow(/^Makefile:4:22: unsupported make function \$\(shell/);
  });

  test('.config reader: values, not-set lines, malformed lines located', () => {
    const c = parseDotConfig('# c\nCONFIG_A=y\nCONFIG_B=m\nCONFIG_S="x y"\n# CONFIG_N is not set\nCONFIG_H=0x10\n', '.config');
    expect([...c.values]).toEqual([['CONFIG_A', 'y'], ['CONFIG_B', 'm'], ['CONFIG_S', '"x y"'], ['CONFIG_H', '0x10']]);
    expect(c.notSet.has('CONFIG_N')).toBe(true);
    expect(() => parseDotConfig('CONFIG_A=y\nFOO\n', 'x/.config')).toThrow(/^x\/\.config:2:1: malformed \.config line/);
  });
});

describe('routing of samples/ with a .config from the kernel\'s conf', () => {
  let r: Routing;
  beforeAll(async () => {
    const cfg = await cConf(readFileSync(join(SAMPLES, 'configs/kbuildts_defconfig'), 'utf8'));
    r = routeTree({ root: SAMPLES, config: readDotConfig(cfg) });
  });

  test('modules and built-in objects', () => {
    const routes = Object.fromEntries(r.objects.map((o) => [o.object, o.route]));
    expect(routes).toEqual({
      'drivers/kbts/hello/kbts_hello.o': 'module',
      'drivers/kbts/export/kbts_exporter.o': 'module',
      'drivers/kbts/export/kbts_consumer.o': 'module',
      'drivers/kbts/flags/kbts_flags.o': 'module',
      'drivers/kbts/multi/kbts_multi.o': 'module',
      'drivers/kbts/early/kbts_early.o': 'built-in',
      'drivers/kbts/status/kbts_status.o': 'built-in',
    });
    expect(obj(r, 'drivers/kbts/hello/kbts_hello.o').output).toBe('drivers/kbts/hello/kbts_hello.ko');
    expect(obj(r, 'drivers/kbts/early/kbts_early.o').output).toBe('drivers/kbts/early/built-in.a');
    // hello/ has only a Makefile: Kbuild reads it.
    expect(r.directories.find((d) => d.dir === 'drivers/kbts/hello')!.makefile).toBe(join(SAMPLES, 'drivers/kbts/hello/Makefile'));
    // A directory reached through obj-m (CONFIG_KBTS_HELLO=m) links no built-in.a.
    expect(r.directories.find((d) => d.dir === 'drivers/kbts/hello')).toMatchObject({ needBuiltin: false, needModorder: true });
    expect(r.directories.find((d) => d.dir === 'drivers/kbts/early')).toMatchObject({ needBuiltin: true, needModorder: true });
  });

  test('composite object: parts, KBUILD_MODNAME of each part, -$(CONFIG_X) part', () => {
    const m = obj(r, 'drivers/kbts/multi/kbts_multi.o');
    expect(m.composite).toBe(true);
    expect(m.parts.map((p) => p.source)).toEqual([
      'drivers/kbts/multi/kbts_multi_core.c',
      'drivers/kbts/multi/kbts_multi_ops.c',
      'drivers/kbts/multi/kbts_multi_stats.c',
    ]);
    for (const p of m.parts) {
      expect(p.modname).toBe('kbts_multi');
      expect(p.flags).toContain(`-DKBUILD_BASENAME='"${p.basename}"'`);
      expect(p.flags).toContain(`-DKBUILD_MODNAME='"kbts_multi"'`);
      expect(p.flags).toContain('-D__KBUILD_MODNAME=kmod_kbts_multi');
    }
  });

  test('flags: subdir-ccflags-y inherited, ccflags-y, ccflags-$(CONFIG_X), ifdef, CFLAGS_x.o, -DMODULE only for modules', () => {
    const f = obj(r, 'drivers/kbts/flags/kbts_flags.o').parts[0]!;
    expect(f.flags).toEqual([
      '-DKBTS_TREE_VERSION=3',
      '-DKBTS_FLAGS_MAGIC=0x4b42',
      `-DKBTS_FLAGS_GREETING='"hi"'`,
      '-DKBTS_FLAGS_VERBOSE=1',
      '-DKBTS_FLAGS_FILE_ID=42',
      '-DMODULE',
      `-DKBUILD_BASENAME='"kbts_flags"'`,
      `-DKBUILD_MODNAME='"kbts_flags"'`,
      '-D__KBUILD_MODNAME=kmod_kbts_flags',
    ]);
    expect(obj(r, 'drivers/kbts/export/kbts_consumer.o').parts[0]!.dirFlags).toEqual(['-DKBTS_TREE_VERSION=3', '-I$(src)/include']);
    const early = obj(r, 'drivers/kbts/early/kbts_early.o').parts[0]!;
    expect(early.flags).not.toContain('-DMODULE');
    expect(early.flags).toContain(`-DKBUILD_MODFILE='"drivers/kbts/early/kbts_early"'`);
    for (const o of r.objects) for (const p of o.parts) expect(p.flags.includes('-DMODULE')).toBe(o.route === 'module');
  });

  test('another configuration re-routes: built-in hello, formal greeting, composite without its optional part', async () => {
    const cfg = await cConf('CONFIG_KBTS_DRIVERS=y\nCONFIG_KBTS_HELLO=y\nCONFIG_KBTS_FLAGS=m\nCONFIG_KBTS_MULTI=y\n# CONFIG_KBTS_MULTI_STATS is not set\n');
    const r2 = routeTree({ root: SAMPLES, config: readDotConfig(cfg) });
    expect(obj(r2, 'drivers/kbts/hello/kbts_hello.o').route).toBe('built-in');
    expect(obj(r2, 'drivers/kbts/flags/kbts_flags.o').parts[0]!.flags).toContain(`-DKBTS_FLAGS_GREETING='"good day"'`);
    expect(obj(r2, 'drivers/kbts/flags/kbts_flags.o').parts[0]!.flags).not.toContain('-DKBTS_FLAGS_VERBOSE=1');
    const m = obj(r2, 'drivers/kbts/multi/kbts_multi.o');
    expect(m.route).toBe('built-in');
    expect(m.parts.map((p) => p.basename)).toEqual(['kbts_multi_core', 'kbts_multi_ops']);
    expect(m.parts[0]!.flags).toContain(`-DKBUILD_MODFILE='"drivers/kbts/multi/kbts_multi"'`);
    expect(r2.objects.some((o) => o.object.includes('export/'))).toBe(false);
    expect(r2.objects.some((o) => o.object.includes('early/'))).toBe(false);
  });

  test('the real Kbuild on the samples\' own makefiles agrees', async () => {
    await agreesWithKbuild(SAMPLES, r);
  });

  test('plan table and JSON', () => {
    const t = formatPlan(r);
    expect(t).toMatch(/drivers\/kbts\/multi\/kbts_multi\.o\s+module\*\s+drivers\/kbts\/multi\/kbts_multi\.ko/);
    expect(t).toMatch(/drivers\/kbts\/early\/kbts_early\.o\s+built-in\s+member of drivers\/kbts\/early\/built-in\.a/);
    expect(t).toContain('5 module(s), 2 built-in, 0 lib, 0 dropped');
    const j = planJson(r) as { objects: { object: string; listedAt: string }[] };
    expect(j.objects.find((o) => o.object === 'drivers/kbts/hello/kbts_hello.o')!.listedAt).toMatch(/samples\/drivers\/kbts\/hello\/Makefile:5:\d+$/);
  });
});

describe('routing corners, checked against the real Kbuild', () => {
  const config = readDotConfig(join(CORNERS, 'config'));
  const r = routeTree({ root: CORNERS, config });

  test('what the routing says', () => {
    const routes = Object.fromEntries(r.objects.map((o) => [o.object, o.route]));
    expect(routes).toEqual({
      'core.o': 'built-in', // obj-y (CONFIG_CORE=y) and obj-m: built in
      'dual.o': 'built-in',
      'pair.o': 'module',
      'named.o': 'built-in', // ifeq ($(CONFIG_NAME),"widget")
      'modsub/sub_mod.o': 'module',
      'modsub/sub_builtin.o': 'dropped', // obj-y under a directory reached by obj-m
      'visit/visited.o': 'dropped', // obj-m under subdir-y
      'both/in_both.o': 'built-in', // dir/ in obj-y and obj-m
    });
    expect(obj(r, 'pair.o').parts.map((p) => p.basename)).toEqual(['pair_a', 'pair_b', 'pair_c']);
    const pairB = obj(r, 'pair.o').parts[1]!;
    expect(pairB.dirFlags).toEqual(['-DSUBDIR', '-DEXTRA=3', '-DPAIR_B']); // ccflags-remove-y, CFLAGS_REMOVE_pair_b.o
    expect(obj(r, 'core.o').parts[0]!.dirFlags).toEqual(['-DSUBDIR', '-DTOP=1', '-DEXTRA=3', '-DKR']);
    expect(r.objects.some((o) => o.object === 'ignored.o')).toBe(false); // Kbuild preferred over Makefile
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/kbuild-corners\/modsub\/Kbuild:2:10: warning: modsub\/sub_builtin\.o/);
  });

  test('make -C KDIR M= on the original makefiles builds the same modules with the same flags', async () => {
    await agreesWithKbuild(CORNERS, r);
  });
});
