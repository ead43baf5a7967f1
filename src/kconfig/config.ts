/**
 * The library entry for configuring a kernel tree: {@link runConfig} does what `make
 * ARCH=<arch> CROSS_COMPILE=<prefix> O=<objtree> <mode>` does for the configuration targets of
 * Linux 6.1 scripts/kconfig/Makefile: it builds conf's environment, parses the Kconfig tree,
 * finalises it, runs the conf.c mode in the object tree and writes .config plus (in a fresh
 * object tree, or for syncconfig) include/config/auto.conf, auto.conf.cmd, the stamp files,
 * include/generated/autoconf.h and rustc_cfg.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultCrossCompile, kconfigEnvironment, kernelVersionOf, srcArchOf } from './environment.js';
import type { KconfigTree, KconfigVersion } from './model.js';
import { finalizeTree } from './menu.js';
import { CONF_MODES, runConfMode, type ConfMode } from './modes.js';
import { useContext } from './evaluate.js';
import { parseKconfig } from './parse.js';

/** Options of {@link runConfig}. */
export interface RunConfigOptions {
  /**
   * A conf mode ({@link CONF_MODES}: allnoconfig, alldefconfig, defconfig, olddefconfig, ...)
   * or a make target `<name>_defconfig` (defconfig from arch/$SRCARCH/configs/<name>_defconfig).
   */
  mode: string;
  /** Kernel source tree (srctree). */
  srctree: string;
  /** Object tree (O=); created if missing. Default: srctree. */
  objtree?: string;
  /** ARCH as given to make. */
  arch: string;
  /** CROSS_COMPILE; default {@link defaultCrossCompile}(arch). */
  crossCompile?: string;
  /** KERNELVERSION; default from srctree/Makefile. */
  kernelVersion?: string;
  /** For defconfig: the file (relative to objtree, then srctree); for savedefconfig: output file. */
  defconfigFile?: string;
  /** Base environment (default process.env), extended as make does (see {@link configEnvironment}). */
  env?: Record<string, string | undefined>;
  /** Use this environment exactly as given (no make-style additions), e.g. the oracle's. */
  exactEnv?: Record<string, string>;
  /** `conf -s`: no "configuration written to" messages. */
  silent?: boolean;
  /** Answers for interactive modes (oldconfig), as stdin text. */
  input?: string;
  /**
   * Receive conf's stdout/stderr text as it is produced (also when runConfig throws, e.g. the
   * recursive-dependency chain before the KconfigError). The text is collected in the result too.
   */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

/** What {@link runConfig} returns. */
export interface RunConfigResult {
  /** Absolute paths written or touched, in order (stamp files included). */
  files: string[];
  /** What conf prints on stdout (messages, listnewconfig output) and stderr (warnings). */
  stdout: string;
  stderr: string;
  /** The stderr text split into the individual warnings. */
  warnings: string[];
  /** The finalised tree (values computed), for callers that want to inspect symbols. */
  tree: KconfigTree;
}

/** KBUILD_DEFCONFIG of arch/$SRCARCH/Makefile, else "defconfig" (scripts/kconfig/Makefile). */
export function kbuildDefconfigName(srctree: string, arch: string): string {
  const srcArch = srcArchOf(arch);
  if (srcArch === 'x86') return arch === 'x86' ? 'x86_64_defconfig' : `${arch}_defconfig`;
  const mk = join(srctree, 'arch', srcArch, 'Makefile');
  if (existsSync(mk)) {
    const m = /^\s*KBUILD_DEFCONFIG\s*:?=\s*(.+?)\s*$/m.exec(readFileSync(mk, 'utf8'));
    if (m && !m[1].includes('$(')) return m[1];
  }
  return 'defconfig';
}

/**
 * The environment `make ARCH=... <mode>` gives conf: {@link kconfigEnvironment}, `CONFIG_`
 * removed ("unexport CONFIG_"), KCONFIG_DEFCONFIG_LIST as 6.1's scripts/kconfig/Makefile sets
 * it (`cross_compiling` is never defined in 6.1, so the host's /lib/modules/$(uname -r)/.config,
 * /etc/kernel-config and /boot/config-$(uname -r) come first, then
 * arch/$(SRCARCH)/configs/$(KBUILD_DEFCONFIG)).
 */
export function configEnvironment(opts: { srctree: string; arch: string; crossCompile: string; kernelVersion: string; base?: Record<string, string | undefined> }): Record<string, string> {
  const env = kconfigEnvironment({ srctree: opts.srctree, arch: opts.arch, crossCompile: opts.crossCompile, kernelVersion: opts.kernelVersion, base: opts.base as NodeJS.ProcessEnv });
  delete env.CONFIG_;
  let rel = '';
  try {
    rel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    rel = '';
  }
  env.KCONFIG_DEFCONFIG_LIST = [`/lib/modules/${rel}/.config`, '/etc/kernel-config', `/boot/config-${rel}`,
    `arch/${srcArchOf(opts.arch)}/configs/${kbuildDefconfigName(opts.srctree, opts.arch)}`].join(' ');
  return env;
}

/** The Kconfig language version for a KERNELVERSION ("6.1.192" -> "6.1"). */
export function kconfigVersionOf(kernelVersion: string): KconfigVersion {
  const m = /^(\d+)\.(\d+)/.exec(kernelVersion);
  const mm = m ? `${m[1]}.${m[2]}` : '';
  if (mm === '6.1') return '6.1';
  if (mm === '6.12') return '6.12';
  throw Object.assign(new Error(`Linux ${kernelVersion}: only the 6.1 Kconfig semantics are implemented`), { userError: true });
}

/**
 * Configure a kernel tree as `make <mode>` does (see the module comment).
 * @returns the files written, conf's output and warnings, and the finalised tree.
 * @throws KconfigError for Kconfig syntax errors and recursive dependencies (`file:line:col:`),
 *   ConfModeError (userError) for conf's fatal conditions (missing defconfig file, ...).
 */
export function runConfig(opts: RunConfigOptions): RunConfigResult {
  const srctree = resolve(opts.srctree);
  const objtree = resolve(opts.objtree ?? srctree);
  const kernelVersion = opts.kernelVersion ?? kernelVersionOf(readFileSync(join(srctree, 'Makefile'), 'utf8'));
  const version = kconfigVersionOf(kernelVersion);
  const crossCompile = opts.crossCompile ?? defaultCrossCompile(opts.arch);
  const env: Record<string, string> = opts.exactEnv ?? configEnvironment({ srctree, arch: opts.arch, crossCompile, kernelVersion, base: opts.env ?? process.env });

  let mode = opts.mode;
  let file = opts.defconfigFile;
  if (/_defconfig$/.test(mode)) {
    file = `arch/${srcArchOf(opts.arch)}/configs/${mode}`;
    mode = 'defconfig';
  }
  if (!(CONF_MODES as readonly string[]).includes(mode)) {
    throw Object.assign(new Error(`unknown configuration mode '${opts.mode}' (modes: ${CONF_MODES.join(', ')}, <name>_defconfig)`), { userError: true });
  }
  if (mode === 'defconfig' && file === undefined) file = `arch/${srcArchOf(opts.arch)}/configs/${kbuildDefconfigName(srctree, opts.arch)}`;
  if (mode === 'savedefconfig' && file === undefined) file = 'defconfig';

  mkdirSync(objtree, { recursive: true });
  let stdout = '';
  let stderr = '';
  const outSink = (t: string): void => {
    stdout += t;
    opts.onStdout?.(t);
  };
  const errSink = (t: string): void => {
    stderr += t;
    opts.onStderr?.(t);
  };
  const tree = parseKconfig({
    srctree, objtree, file: 'Kconfig', version, env,
    log: (stream, text) => (stream === 'stdout' ? outSink(text) : errSink(text)),
  });
  for (const w of tree.warnings) errSink(w.endsWith('\n') ? w : `${w}\n`);
  const c = finalizeTree(tree, { env, stdout: outSink, stderr: errSink });
  c.cwd = objtree;
  try {
    runConfMode({ mode: mode as ConfMode, file, silent: opts.silent, input: opts.input });
  } finally {
    useContext(null);
  }
  const warnings = stderr.split(/\n(?=\S)|\n\n/).map((w) => w.trim()).filter((w) => w.length > 0);
  return { files: c.written, stdout, stderr, warnings, tree };
}
