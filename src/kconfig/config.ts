/**
 * The library entry for configuring a kernel tree: {@link runConfig} does what `make
 * ARCH=<arch> CROSS_COMPILE=<prefix> O=<objtree> <mode>` does for the configuration targets of
 * Linux 6.1 scripts/kconfig/Makefile: it builds conf's environment, parses the Kconfig tree,
 * finalises it, runs the conf.c mode in the object tree and writes .config plus (in a fresh
 * object tree, or for syncconfig) include/config/auto.conf, auto.conf.cmd, the stamp files,
 * include/generated/autoconf.h and rustc_cfg.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
   * A conf mode ({@link CONF_MODES}: allnoconfig, alldefconfig, defconfig, olddefconfig, ...),
   * or a make target: `<name>_defconfig` (defconfig from arch/$SRCARCH/configs/<name>_defconfig),
   * `tinyconfig`, or `<fragment>.config` (merge_config.sh -m of kernel/configs/<fragment>.config
   * and arch/$SRCARCH/configs/<fragment>.config into .config, then olddefconfig).
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
  let kernelVersion = opts.kernelVersion;
  if (kernelVersion === undefined) {
    if (!existsSync(join(srctree, 'Kconfig')) || !existsSync(join(srctree, 'Makefile'))) {
      throw Object.assign(new Error(`${srctree} is not a kernel source tree (no Kconfig or Makefile): give --srctree`), { userError: true });
    }
    kernelVersion = kernelVersionOf(readFileSync(join(srctree, 'Makefile'), 'utf8'));
  }
  const version = kconfigVersionOf(kernelVersion);
  if (version !== '6.1') {
    // The 6.12 choice/expr/confdata rework (priority-ordered choice members, immutable
    // expressions, int/hex defaults of 0/0x0, ...) is not ported yet: refuse rather than
    // produce a configuration that silently differs from scripts/kconfig.
    throw Object.assign(new Error(`Linux ${kernelVersion}: kbuildts config implements the Linux 6.1 scripts/kconfig semantics only (6.12 is not supported yet)`), { userError: true });
  }
  const crossCompile = opts.crossCompile ?? defaultCrossCompile(opts.arch);
  const env: Record<string, string> = opts.exactEnv ?? configEnvironment({ srctree, arch: opts.arch, crossCompile, kernelVersion, base: opts.env ?? process.env });
  const srcArch = srcArchOf(opts.arch);

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
  const files: string[] = [];
  let tree: KconfigTree | null = null;

  /** One `conf -s --<mode> Kconfig` run (a fresh parse, as a new conf process has). */
  const conf = (mode: ConfMode, file: string | undefined, extraEnv: Record<string, string> = {}): void => {
    const e = { ...env, ...extraEnv };
    const t = parseKconfig({
      srctree, objtree, file: 'Kconfig', version, env: e,
      log: (stream, text) => (stream === 'stdout' ? outSink(text) : errSink(text)),
    });
    for (const w of t.warnings) errSink(w.endsWith('\n') ? w : `${w}\n`);
    const c = finalizeTree(t, { env: e, stdout: outSink, stderr: errSink });
    c.cwd = objtree;
    try {
      runConfMode({ mode, file, silent: opts.silent, input: opts.input });
    } finally {
      useContext(null);
      files.push(...c.written);
      tree = t;
    }
  };

  /** `make <fragment>.config`: merge_config.sh -m .config <fragments>, then olddefconfig. */
  const fragmentTarget = (name: string): void => {
    const found = [join(srctree, 'kernel', 'configs', name), join(srctree, 'arch', srcArch, 'configs', name)].filter((f) => existsSync(f));
    if (found.length === 0) throw Object.assign(new Error(`No configuration exists for this target on this architecture (${name})`), { userError: true });
    const cfgName = env.KCONFIG_CONFIG ?? '.config';
    const cfgPath = resolve(objtree, cfgName);
    const base = existsSync(cfgPath) ? readFileSync(cfgPath, 'latin1') : '';
    const merged = mergeConfigFragments(base, found.map((f) => ({ name: f, text: readFileSync(f, 'latin1') })), env.CONFIG_ ?? 'CONFIG_');
    outSink(`Using .config as base\n${merged.messages}`);
    writeFileSync(cfgPath, merged.text, 'latin1');
    files.push(cfgPath);
    outSink(`#\n# merged configuration written to ${cfgName} (needs make)\n#\n`);
    conf('olddefconfig', undefined);
  };

  const mode = opts.mode;
  if (mode === 'tinyconfig') {
    conf('allnoconfig', undefined, { KCONFIG_ALLCONFIG: 'kernel/configs/tiny-base.config' });
    fragmentTarget('tiny.config');
  } else if (/\.config$/.test(mode)) {
    fragmentTarget(mode);
  } else if (/_defconfig$/.test(mode)) {
    conf('defconfig', `arch/${srcArch}/configs/${mode}`);
  } else if ((CONF_MODES as readonly string[]).includes(mode)) {
    let file = opts.defconfigFile;
    if (mode === 'defconfig' && file === undefined) file = `arch/${srcArch}/configs/${kbuildDefconfigName(srctree, opts.arch)}`;
    if (mode === 'savedefconfig' && file === undefined) file = 'defconfig';
    conf(mode as ConfMode, file);
  } else {
    throw Object.assign(new Error(`unknown configuration mode '${mode}' (modes: ${CONF_MODES.join(', ')}, <name>_defconfig, tinyconfig, <fragment>.config)`), { userError: true });
  }
  const warnings = stderr.split(/\n(?=\S)|\n\n/).map((w) => w.trim()).filter((w) => w.length > 0);
  return { files, stdout, stderr, warnings, tree: tree! };
}

/**
 * scripts/kconfig/merge_config.sh without running make (`-m`): for each fragment, every symbol
 * it sets that the accumulated file mentions (`grep -w`) is reported ("Value of X is redefined
 * by fragment F") when the lines differ and its lines are deleted (`sed "/X[ =]/d"`); then a
 * newline and the fragment are appended.
 * @returns the merged text and the script's stdout messages.
 */
export function mergeConfigFragments(base: string, fragments: { name: string; text: string }[], prefix = 'CONFIG_'): { text: string; messages: string } {
  let tmp = base;
  let messages = '';
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const p = esc(prefix);
  const exp1 = new RegExp(`^(${p}[a-zA-Z0-9_]*)=.*`);
  const exp2 = new RegExp(`^# (${p}[a-zA-Z0-9_]*) is not set$`);
  const lines = (t: string) => t.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');
  for (const frag of fragments) {
    messages += `Merging ${frag.name}\n`;
    const cfgs: string[] = [];
    for (const l of lines(frag.text)) {
      const m = exp1.exec(l) ?? exp2.exec(l);
      if (m && m[1]) cfgs.push(m[1]);
    }
    for (const cfg of cfgs) {
      const word = new RegExp(`(^|[^A-Za-z0-9_])${esc(cfg)}($|[^A-Za-z0-9_])`);
      const prev = lines(tmp).filter((l) => word.test(l));
      if (prev.length === 0) continue;
      const next = lines(frag.text).filter((l) => word.test(l));
      const prevVal = prev.join('\n');
      const newVal = next.join('\n');
      const squash = (s: string) => s.split(/\s+/).filter((x) => x).join(' ');
      if (prevVal !== newVal) {
        messages += `Value of ${cfg} is redefined by fragment ${frag.name}:\nPrevious value: ${squash(prevVal)}\nNew value: ${squash(newVal)}\n\n`;
      }
      const del = new RegExp(`${esc(cfg)}[ =]`);
      const kept = tmp.split('\n');
      const trailing = tmp.endsWith('\n');
      const body = trailing ? kept.slice(0, -1) : kept;
      const out = body.filter((l) => !del.test(l));
      tmp = out.join('\n') + (out.length && trailing ? '\n' : '');
    }
    tmp += '\n';
    tmp += frag.text;
  }
  return { text: tmp, messages };
}
