/**
 * Build a small arm64 kernel with a driver built in, configured by kbuildts's own Kconfig engine:
 *
 *  1. {@link prepareKernelTree}: a private Linux tree with the driver copied into drivers/<name>
 *     and wired in (Kconfig `source`, Makefile `obj-$(CONFIG_X) += <name>/`).
 *  2. Configure with runConfig's tinyconfig (`make tinyconfig`: allnoconfig with
 *     KCONFIG_ALLCONFIG=kernel/configs/tiny-base.config, merge of tiny.config, olddefconfig),
 *     then merge a fragment ({@link kernelFragment}: serial console, initramfs, ELF and script
 *     binaries, kallsyms, and every driver symbol =y; merge_config.sh semantics,
 *     src/kconfig/merge.ts) and olddefconfig again. The work happens in a scratch object tree;
 *     OUT/.config is only replaced when its content changes, so an unchanged configuration costs
 *     make nothing. The result is checked: every fragment line must be in the final .config.
 *  3. `make -C TREE O=OUT ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -jN Image`
 *     (Documentation/kbuild/kbuild.rst: O=, ARCH, CROSS_COMPILE), reporting each Kbuild step
 *     (`CC`, `LD`, `AR`, ...) and compiler diagnostics (`file:line:col:`, driver paths mapped
 *     back to the driver's own directory).
 *  4. Write OUT/kbuildts-kernel.json naming the driver, its objects and symbols, so that
 *     `kbuildts boot --kernel OUT/arch/arm64/boot/Image` can judge its initcall
 *     (src/runner/initcalls.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelVersionOf } from '../kconfig/environment.js';
import { runConfig } from '../kconfig/config.js';
import { parseDotConfig } from '../kbuild/dotconfig.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { cacheDir } from './cache.js';
import { prepareKernelTree, type KernelTree, type PrepareKernelTreeOptions } from './kernel-tree.js';
import { findToolchain, runMake, type MakeResult } from './toolchain.js';
import { KERNEL_RECORD, objectInitcalls, type KernelBuildRecord, type ObjectInitcall } from './initcalls.js';

export { KERNEL_RECORD, type KernelBuildRecord } from './initcalls.js';

/**
 * The symbols a tiny arm64 kernel needs on top of tinyconfig to boot kbuildts's busybox
 * initramfs and show its console (see /work/shared/notes/arm64-pipeline-facts.md, "A tiny
 * arm64 kernel with a built-in driver"), plus KALLSYMS so that initcall_debug prints function
 * names (`calling kbts_early_init+0x0/0x3c @ 1`) instead of addresses.
 */
export const TINY_BOOT_SYMBOLS = [
  'PRINTK', 'TTY', 'SERIAL_AMBA_PL011', 'SERIAL_AMBA_PL011_CONSOLE', 'BLK_DEV_INITRD', 'RD_GZIP',
  'BINFMT_ELF', 'BINFMT_SCRIPT', 'KALLSYMS',
] as const;

/** The fragment merged after tinyconfig: {@link TINY_BOOT_SYMBOLS} and the given symbols, each `=y`. */
export function kernelFragment(symbols: readonly string[]): string {
  const all = [...TINY_BOOT_SYMBOLS, ...symbols.filter((s) => !(TINY_BOOT_SYMBOLS as readonly string[]).includes(s))];
  return `# kbuildts: boot console, initramfs, kallsyms, and the driver built in\n${all.map((s) => `CONFIG_${s}=y`).join('\n')}\n`;
}

/** Options of {@link buildKernel}. */
export interface KernelBuildOptions {
  /** Target architecture: only arm64. */
  arch?: 'arm64';
  /** Kernel source (tarball or directory), as {@link PrepareKernelTreeOptions.source}. */
  source?: string;
  /** Driver directory to build in; default samples/drivers/kbts/early of this package. */
  driver?: string;
  /** Directory name under drivers/ (default the driver directory's base name). */
  driverName?: string;
  /**
   * Symbols (without CONFIG_) to set =y in the fragment; default the driver's symbols that
   * {@link driverSymbols} finds (for kbts/early: KBTS_EARLY).
   */
  enable?: string[];
  /** Output directory (O=); default `<cache>/kernel-build/out/arm64-<driver name>`. */
  outDir?: string;
  /** make -j; default 2. */
  jobs?: number;
  /** CROSS_COMPILE; default aarch64-linux-gnu- (or $CROSS_COMPILE). */
  crossCompile?: string;
  /** make targets; default ["Image"]. */
  targets?: string[];
  /** Progress (see {@link KernelBuildEvent}). */
  onEvent?: (e: KernelBuildEvent) => void;
}

/**
 * Progress: `phase` at each stage, `step` for each Kbuild quiet-mode line (`  CC      init/main.o`)
 * with its index and the number expected (the previous build's count, or an estimate), and
 * `diagnostic` for compiler messages and make errors.
 */
export type KernelBuildEvent =
  | { type: 'phase'; phase: 'prepare' | 'configure' | 'build' | 'done'; message: string; driverDir?: string }
  | { type: 'step'; verb: string; target: string; index: number; expected: number }
  | { type: 'diagnostic'; text: string };

/** One compiler diagnostic. */
export interface KernelDiagnostic {
  /** Source path: for files of the driver, the path in the driver's own directory. */
  file: string;
  line: number;
  col: number;
  severity: string;
  message: string;
}

/** What {@link buildKernel} returns. */
export interface KernelBuildResult {
  tree: KernelTree;
  /** The object directory (O=), absolute. */
  outDir: string;
  /** OUT/arch/arm64/boot/Image. */
  image: string;
  /** OUT/System.map. */
  systemMap: string;
  /** OUT/.config. */
  configFile: string;
  /** True when the configuration was recomputed, false when the previous one was still valid. */
  configured: boolean;
  /** True when OUT/.config changed this run. */
  configChanged: boolean;
  /** {@link kconfigEngineFingerprint} at configuration time (a new one forces a reconfiguration). */
  engineFingerprint: string;
  /** The fragment merged after tinyconfig. */
  fragment: string;
  /** Values of the checked symbols in the final .config, e.g. { KBTS_EARLY: 'y', PRINTK: 'y' }. */
  symbols: Record<string, string>;
  /** Warnings the Kconfig engine printed. */
  configWarnings: string[];
  /** make's argv. */
  command: string[];
  /** Kbuild steps make printed (0 for a build with nothing to do beyond its checks). */
  steps: number;
  /** Steps per verb, e.g. { CC: 512, AR: 60, LD: 70 }. */
  stepsByVerb: Record<string, number>;
  /** Compiler warnings (errors throw). */
  diagnostics: KernelDiagnostic[];
  /** True when the kernel's own syncconfig left OUT/.config byte-identical to kbuildts's. */
  syncconfigAgrees: boolean;
  /** The initcall entries of the driver's compiled objects (e.g. one in `.initcall4.init` for subsys_initcall). */
  initcalls: ObjectInitcall[];
  /** Milliseconds per stage. */
  timings: { prepareMs: number; configureMs: number; buildMs: number };
  /** Size of the Image in bytes. */
  imageBytes: number;
}

/** A failed kernel build: configuration did not take, or make failed; `userError` (exit 1). */
export class KernelBuildError extends Error {
  readonly userError = true;
  constructor(
    message: string,
    public readonly diagnostics: KernelDiagnostic[] = [],
    public readonly make?: MakeResult,
  ) {
    super(message);
    this.name = 'KernelBuildError';
  }
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The default driver: samples/drivers/kbts/early of this package (subsys_initcall when built in). */
export function defaultDriver(): string {
  return join(packageRoot, 'samples/drivers/kbts/early');
}

const sha1 = (s: string | Buffer): string => createHash('sha1').update(s).digest('hex');

/** A fingerprint of files: path, size and mtime of each (missing files count too). */
function filesFingerprint(files: readonly string[]): string {
  const h = createHash('sha1');
  for (const f of files) {
    try {
      const st = statSync(f);
      h.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
    } catch {
      h.update(`${f}\0missing\n`);
    }
  }
  return h.digest('hex');
}

/**
 * A fingerprint of the Kconfig engine's code (the content of src/kconfig's modules as loaded:
 * dist/kconfig/*.js, or the .ts sources under a TypeScript runner). A change to it invalidates
 * cached configurations.
 */
export function kconfigEngineFingerprint(): string {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../kconfig');
  const files = readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')).sort();
  const h = createHash('sha1');
  for (const f of files) h.update(`${f}\0`).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

interface ConfigStamp {
  key: string;
  kconfigFiles: string[];
  fingerprint: string;
  configSha: string;
  warnings: string[];
}

/**
 * Configure OUT/.config (tinyconfig + fragment) with kbuildts's engine, in OUT/.kbuildts-config/
 * as scratch object tree. Skipped when the inputs (fragment, tree, every Kconfig file read, the
 * engine's code) are unchanged since the last run and OUT/.config is still the one written.
 */
function configure(opts: { srcDir: string; outDir: string; arch: string; crossCompile: string; fragment: string; engine: string; onEvent?: (e: KernelBuildEvent) => void }): {
  configured: boolean; changed: boolean; warnings: string[]; text: string;
} {
  const configFile = join(opts.outDir, '.config');
  const stampFile = join(opts.outDir, '.kbuildts-config.json');
  const key = sha1(JSON.stringify({ srcDir: opts.srcDir, arch: opts.arch, cross: opts.crossCompile, fragment: opts.fragment, engine: opts.engine }));
  if (existsSync(stampFile) && existsSync(configFile)) {
    try {
      const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as ConfigStamp;
      const text = readFileSync(configFile, 'utf8');
      if (stamp.key === key && stamp.configSha === sha1(text) && filesFingerprint(stamp.kconfigFiles) === stamp.fingerprint) {
        return { configured: false, changed: false, warnings: stamp.warnings, text };
      }
    } catch {
      /* recompute */
    }
  }
  const work = join(opts.outDir, '.kbuildts-config');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const common = { srctree: opts.srcDir, objtree: work, arch: opts.arch, crossCompile: opts.crossCompile, silent: true };
  opts.onEvent?.({ type: 'phase', phase: 'configure', message: 'tinyconfig (allnoconfig + tiny-base.config, tiny.config, olddefconfig)' });
  const tiny = runConfig({ ...common, mode: 'tinyconfig' });
  const fragFile = join(work, 'kbuildts-fragment.config');
  writeFileSync(fragFile, opts.fragment);
  opts.onEvent?.({ type: 'phase', phase: 'configure', message: 'merging the boot and driver fragment, olddefconfig' });
  // merge_config.sh -m .config FRAGMENT, then make olddefconfig
  runConfig({ ...common, mode: 'merge', fragments: [join(work, '.config'), fragFile], merge: { mergeOnly: true } });
  const frag = { config: runConfig({ ...common, mode: 'olddefconfig' }) };
  const text = readFileSync(join(work, '.config'), 'utf8');
  const warnings = [...tiny.warnings, ...frag.config.warnings];
  const old = existsSync(configFile) ? readFileSync(configFile, 'utf8') : null;
  const changed = old !== text;
  if (changed) writeFileAtomic(configFile, text);
  const kconfigFiles = frag.config.tree.files.map((f) => resolve(opts.srcDir, f));
  const stamp: ConfigStamp = { key, kconfigFiles, fingerprint: filesFingerprint(kconfigFiles), configSha: sha1(text), warnings };
  writeFileAtomic(stampFile, `${JSON.stringify(stamp)}\n`);
  rmSync(work, { recursive: true, force: true });
  return { configured: true, changed, warnings, text };
}

const STEP = /^ {2}([A-Z][A-Z0-9_]*(?: \[M\])?)\s+(\S.*)$/;
const DIAG = /^(.+?):(\d+):(\d+): (error|warning|fatal error|note): (.*)$/;

/**
 * Steps expected: the previous build's count (OUT/.kbuildts-steps), else 970 (what a
 * tinyconfig arm64 Image with one driver took from scratch: 971).
 */
function expectedSteps(outDir: string): number {
  try {
    const n = Number(readFileSync(join(outDir, '.kbuildts-steps'), 'utf8'));
    if (Number.isFinite(n) && n > 0) return n;
  } catch {
    /* first build */
  }
  return 970;
}

/**
 * Prepare the tree, configure it with kbuildts's Kconfig engine and build the kernel Image with
 * the kernel's own make (see the module comment).
 * @returns paths (Image, System.map, .config), the checked symbol values, step counts and timings.
 * @throws KernelBuildError when a fragment symbol did not take in the final .config (its
 *   dependencies are unmet) or make fails (message: the compiler's `file:line:col: error:`
 *   lines, else make's last lines); KernelTreeError, ToolchainError, KconfigError as the steps do.
 */
export async function buildKernel(opts: KernelBuildOptions = {}): Promise<KernelBuildResult> {
  const arch = opts.arch ?? 'arm64';
  if (arch !== 'arm64') throw new KernelBuildError(`--kernel builds support only arm64, not ${arch}`);
  const toolchain = findToolchain({ arch, crossCompile: opts.crossCompile });
  const emit = opts.onEvent ?? (() => undefined);

  const t0 = Date.now();
  emit({ type: 'phase', phase: 'prepare', message: 'preparing the kernel tree' });
  const tree = await prepareKernelTree({
    source: opts.source,
    driver: opts.driver ?? defaultDriver(),
    driverName: opts.driverName,
    onProgress: (message) => emit({ type: 'phase', phase: 'prepare', message }),
  });
  const driver = tree.driver!;
  const prepareMs = Date.now() - t0;
  emit({ type: 'phase', phase: 'prepare', message: `${driver.origin} → ${driver.relDir}${driver.copied.length || driver.edited.length ? '' : ' (unchanged)'}`, driverDir: driver.relDir });

  const outDir = resolve(opts.outDir ?? join(cacheDir(), 'kernel-build', 'out', `${arch}-${driver.relDir.replace(/^drivers\//, '').replace(/\//g, '-')}`));
  mkdirSync(outDir, { recursive: true });
  const enable = opts.enable && opts.enable.length > 0 ? opts.enable : driver.symbols.length > 0 ? driver.symbols : [driver.symbol];
  if (!enable.includes(driver.symbol)) enable.unshift(driver.symbol);
  const fragment = kernelFragment(enable);

  const t1 = Date.now();
  const engineFingerprint = kconfigEngineFingerprint();
  const cfg = configure({ srcDir: tree.srcDir, outDir, arch, crossCompile: toolchain.crossCompile, fragment, engine: engineFingerprint, onEvent: emit });
  const configureMs = Date.now() - t1;
  // merge_config.sh's closing check: every requested value must be in the final .config.
  const values = parseDotConfig(cfg.text, join(outDir, '.config')).values;
  const requested = parseDotConfig(fragment, 'the kbuildts fragment');
  const symbols: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of [...requested.values.keys(), ...requested.notSet]) {
    const sym = name.slice('CONFIG_'.length);
    const want = requested.values.get(name) ?? 'n';
    const got = values.get(name) ?? 'n';
    symbols[sym] = got;
    if (got !== want) missing.push(`CONFIG_${sym}: requested ${want}, got ${got === 'n' ? 'not set' : got} (unmet dependencies?)`);
  }
  if (missing.length > 0) throw new KernelBuildError(`the configuration did not take (${join(outDir, '.config')}):\n  ${missing.join('\n  ')}`);

  const kernelVersion = kernelVersionOf(readFileSync(join(tree.srcDir, 'Makefile'), 'utf8'));
  const record: KernelBuildRecord = {
    driver: driver.origin, relDir: driver.relDir, symbol: driver.symbol, enabled: enable, objects: driver.objects,
    srcDir: tree.srcDir, source: tree.origin, kernelVersion,
  };
  writeFileAtomic(join(outDir, KERNEL_RECORD), `${JSON.stringify(record, null, 2)}\n`);

  const t2 = Date.now();
  const targets = opts.targets ?? ['Image'];
  emit({ type: 'phase', phase: 'build', message: `make O=${outDir} ${targets.join(' ')}` });
  const expected = expectedSteps(outDir);
  let steps = 0;
  const stepsByVerb: Record<string, number> = {};
  const diagnostics: KernelDiagnostic[] = [];
  const driverPrefix = `${driver.dir}/`;
  const mapPath = (p: string): string => {
    const abs = resolve(outDir, p);
    return abs.startsWith(driverPrefix) ? join(driver.origin, abs.slice(driverPrefix.length)) : abs;
  };
  const result = await runMake({
    kdir: tree.srcDir,
    arch,
    crossCompile: toolchain.crossCompile,
    jobs: opts.jobs ?? 2,
    args: [`O=${outDir}`, ...targets],
    onLine: (line) => {
      const s = STEP.exec(line);
      if (s) {
        steps++;
        const verb = s[1];
        stepsByVerb[verb] = (stepsByVerb[verb] ?? 0) + 1;
        emit({ type: 'step', verb, target: s[2], index: steps, expected: Math.max(expected, steps) });
        return;
      }
      const d = DIAG.exec(line);
      if (d) {
        const diag = { file: mapPath(d[1]), line: Number(d[2]), col: Number(d[3]), severity: d[4], message: d[5] };
        diagnostics.push(diag);
        emit({ type: 'diagnostic', text: `${diag.file}:${diag.line}:${diag.col}: ${diag.severity}: ${diag.message}` });
      } else if (/^make(\[\d+\])?: \*\*\*|Error \d|error:/i.test(line)) {
        emit({ type: 'diagnostic', text: line });
      }
    },
  });
  const buildMs = Date.now() - t2;
  if (!result.ok) {
    const errors = diagnostics.filter((d) => d.severity === 'error' || d.severity === 'fatal error');
    const detail = errors.length > 0
      ? errors.map((d) => `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`).join('\n')
      : result.output.trimEnd().split('\n').slice(-20).join('\n');
    throw new KernelBuildError(`kernel build failed (${result.command.join(' ')}):\n${detail}`, diagnostics, result);
  }
  if (steps > 50) writeFileSync(join(outDir, '.kbuildts-steps'), `${steps}\n`);
  const image = join(outDir, 'arch', arch, 'boot', 'Image');
  const systemMap = join(outDir, 'System.map');
  const configFile = join(outDir, '.config');
  const syncconfigAgrees = readFileSync(configFile, 'utf8') === cfg.text;
  // The driver's compiled objects and their initcall sections (OUT/<relDir>/**/<object>.o).
  const initcalls: ObjectInitcall[] = [];
  const objDir = join(outDir, driver.relDir);
  if (existsSync(objDir)) {
    const objs = (readdirSync(objDir, { recursive: true, encoding: 'utf8' }) as string[])
      .filter((f) => f.endsWith('.o') && driver.objects.includes(f.split('/').pop()!.slice(0, -2).replace(/-/g, '_')))
      .sort();
    for (const f of objs) initcalls.push(...(await objectInitcalls(join(objDir, f))));
  }
  emit({ type: 'phase', phase: 'done', message: `built ${image}` });
  return {
    tree, outDir, image, systemMap, configFile, configured: cfg.configured, configChanged: cfg.changed, engineFingerprint, fragment, symbols,
    configWarnings: cfg.warnings, command: result.command, steps, stepsByVerb,
    diagnostics: diagnostics.filter((d) => d.severity !== 'error' && d.severity !== 'fatal error'),
    syncconfigAgrees, initcalls, timings: { prepareMs, configureMs, buildMs },
    imageBytes: existsSync(image) ? statSync(image).size : 0,
  };
}
