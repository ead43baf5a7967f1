/**
 * The library entry for configuring a kernel tree: {@link runConfig} does what `make
 * ARCH=<arch> CROSS_COMPILE=<prefix> O=<objtree> <mode>` does for the configuration targets of
 * Linux 6.1 / 6.12 scripts/kconfig/Makefile (the semantics follow the tree's version): it builds conf's environment, parses the Kconfig tree,
 * finalises it, runs the conf.c mode in the object tree and writes .config plus (in a fresh
 * object tree, or for syncconfig) include/config/auto.conf, auto.conf.cmd, the stamp files,
 * include/generated/autoconf.h and rustc_cfg.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultCrossCompile, kbuildDefconfigName, kernelVersionOf, makeEnvironment, srcArchOf } from './environment.js';
import { configFragmentFiles, fragmentSymbols, grepWord, mergeConfig, MergeConfigError, type MergeConfigOptions, type MergeConfigResult } from './merge.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { KconfigTree, KconfigVersion } from './model.js';
import { CONF_MODES, randconfigSeed, runConfMode, seedLine, type ConfMode } from './modes.js';
import { useContext } from './evaluate.js';
import { finalizedTree, startSnapshotSave, type FrontEndKey, type FrontEndTimes } from './frontend-cache.js';

/** Options of {@link runConfig}. */
export interface RunConfigOptions {
  /**
   * A conf mode ({@link CONF_MODES}: allnoconfig, alldefconfig, defconfig, olddefconfig, ...),
   * or a make target: `<name>_defconfig` (defconfig from arch/$SRCARCH/configs/<name>_defconfig),
   * `tinyconfig`, or `<fragment>.config` (merge_config.sh -m of kernel/configs/<fragment>.config
   * and arch/$SRCARCH/configs/<fragment>.config into .config, then olddefconfig), or `merge`
   * (scripts/kconfig/merge_config.sh: `fragments` = BASE FRAGMENT...; see {@link RunConfigOptions.merge}).
   */
  mode: string;
  /**
   * Fragment files (absolute, or relative to the cwd). For `merge`: the base configuration, then
   * the fragments merged onto it. For `<fragment>.config` and tinyconfig: extra fragments merged
   * after the target's own, as when merge_config.sh is given more files.
   */
  fragments?: string[];
  /**
   * merge_config.sh's options for `merge` (and the fragment targets): `mergeOnly` (-m: write the
   * merged .config, run no mode), `allnoconfig` (-n: allnoconfig instead of alldefconfig),
   * `builtin` (-y), `warnRedundant` (-r), `strict` (-s).
   */
  merge?: MergeConfigOptions & { mergeOnly?: boolean; allnoconfig?: boolean };
  /** Kernel source tree (srctree). */
  srctree: string;
  /** Object tree (O=); created if missing. Default: srctree. */
  objtree?: string;
  /** ARCH as given to make. */
  arch: string;
  /** CROSS_COMPILE; default {@link defaultCrossCompile}(arch). */
  crossCompile?: string;
  /** KERNELVERSION; default from srctree/Makefile (none for an out-of-tree tree: 6.1 semantics, KERNELVERSION empty). */
  kernelVersion?: string;
  /** For defconfig: the file (relative to objtree, then srctree); for savedefconfig: output file. */
  defconfigFile?: string;
  /** Base environment (default process.env), extended as make does (see makeEnvironment in environment.ts). */
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
  /**
   * Keep conf's output for the result (default true). False: the text only goes to
   * onStdout/onStderr, and the result's stdout, stderr and warnings are empty; for the CLI,
   * which prints as it goes, so that a run printing without end (the 6.12 conf's endless
   * question for a choice with no visible member, at the end of stdin) loops as conf does
   * instead of filling the heap.
   */
  collectOutput?: boolean;
  /**
   * The front-end snapshot (frontend-cache.ts): 'use' (default) reads it when its inputs are
   * unchanged, else parses and writes it; 'refresh' always parses and writes it; 'off' neither
   * reads nor writes. `KBUILDTS_FRONTEND_CACHE=0` (or the parse or probe cache off) means 'off'.
   */
  frontEndCache?: 'use' | 'refresh' | 'off';
  /**
   * How a missed snapshot is written (frontend-cache.ts FinalizedTreeOptions.save): 'inline'
   * (default) before the mode runs, or 'background': for a kernel-sized tree, by a detached
   * process started after this run's files are written (the `kbuildts config` command), so that
   * the run after a Kconfig edit does not wait for it.
   */
  frontEndSave?: 'inline' | 'background';
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
  /**
   * How the last conf run got its finalised tree: parsed (and the snapshot written), or read
   * from the front-end snapshot of the same inputs (frontend-cache.ts).
   */
  frontEnd: 'parsed' | 'snapshot';
  /**
   * What each conf run took, in order (most modes run conf once; tinyconfig twice): the front
   * end's stages and the mode with its output files, in milliseconds of wall time.
   */
  stages: ConfStageTimes[];
  /** For each snapshot left to a background writer (`frontEndSave: 'background'`), what startSnapshotSave() said. */
  snapshotSaves: ('started' | 'busy' | 'failed')[];
}

/** Wall time in milliseconds of one conf run's stages (see {@link RunConfigResult.stages}). */
export interface ConfStageTimes extends FrontEndTimes {
  /** How the finalised tree was had. */
  from: 'parsed' | 'snapshot';
  /** The mode itself and its output files (runConfMode). */
  mode: number;
}

/** The Kconfig language version for a KERNELVERSION ("6.1.192" -> "6.1", "6.12.117" -> "6.12"); throws (userError) for other series. */
export function kconfigVersionOf(kernelVersion: string): KconfigVersion {
  const m = /^(\d+)\.(\d+)/.exec(kernelVersion);
  const mm = m ? `${m[1]}.${m[2]}` : '';
  if (mm === '6.1') return '6.1';
  if (mm === '6.12') return '6.12';
  throw Object.assign(new Error(`Linux ${kernelVersion}: kbuildts implements the Kconfig semantics of Linux 6.1 and 6.12 only`), { userError: true });
}

/**
 * The kernel version of a tree and the Kconfig semantics that follow from it: KERNELVERSION from
 * srctree/Makefile (or `given`); a tree without a kernel Makefile (an out-of-tree driver tree
 * with its own mainmenu, e.g. samples/) has none and gets the 6.1 semantics.
 * @throws Error (userError) for a kernel series kbuildts does not implement
 */
export function treeVersion(srctree: string, given?: string): { kernelVersion: string; version: KconfigVersion } {
  const topMakefile = join(srctree, 'Makefile');
  const mk = given === undefined && existsSync(topMakefile) ? readFileSync(topMakefile, 'utf8') : '';
  const kernelVersion = given ?? (/^VERSION\s*=/m.test(mk) ? kernelVersionOf(mk) : '');
  return { kernelVersion, version: kernelVersion === '' ? '6.1' : kconfigVersionOf(kernelVersion) };
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
  if (!existsSync(join(srctree, 'Kconfig'))) {
    throw Object.assign(new Error(`${srctree}: no Kconfig here; give the tree to configure with --srctree`), { userError: true });
  }
  // A kernel tree has its version in the top Makefile; an out-of-tree driver tree (its own
  // mainmenu, e.g. samples/) has none: it gets the 6.1 semantics unless told otherwise.
  const { kernelVersion, version } = treeVersion(srctree, opts.kernelVersion);
  const crossCompile = opts.crossCompile ?? defaultCrossCompile(opts.arch);
  const env: Record<string, string> = opts.exactEnv
    ?? makeEnvironment({ srctree, arch: opts.arch, crossCompile, kernelVersion, base: (opts.env ?? process.env) as NodeJS.ProcessEnv });
  const srcArch = srcArchOf(opts.arch);

  mkdirSync(objtree, { recursive: true });
  let stdout = '';
  let stderr = '';
  const collect = opts.collectOutput ?? true;
  const outSink = (t: string): void => {
    if (collect) stdout += t;
    opts.onStdout?.(t);
  };
  const errSink = (t: string): void => {
    if (collect) stderr += t;
    opts.onStderr?.(t);
  };
  const files: string[] = [];
  let tree: KconfigTree | null = null;
  let frontEnd: 'parsed' | 'snapshot' = 'parsed';
  const stages: ConfStageTimes[] = [];
  const pendingSaves: FrontEndKey[] = [];

  /**
   * One `conf -s --<mode> Kconfig` run (a fresh parse, as a new conf process has, or the
   * front-end snapshot of the same inputs: frontend-cache.ts). `another`: a second conf run on
   * the same inputs follows (tinyconfig), so a missed snapshot is written here, not later.
   */
  const conf = (mode: ConfMode, file: string | undefined, extraEnv: Record<string, string> = {}, another = false): void => {
    const e = { ...env, ...extraEnv };
    // conf.c picks and prints the randconfig seed while reading its options, before conf_parse().
    const seed = mode === 'randconfig' ? randconfigSeed(e) : undefined;
    if (seed !== undefined) outSink(seedLine(seed));
    const fe = finalizedTree({ srctree, objtree, file: 'Kconfig', version, env: e, stdout: outSink, stderr: errSink, snapshot: opts.frontEndCache,
      save: another ? 'inline' : opts.frontEndSave, releaseCaches: true });
    if (fe.pendingSave) pendingSaves.push(fe.pendingSave);
    const t = fe.tree;
    const c = fe.ctx;
    frontEnd = fe.from;
    c.cwd = objtree;
    const modeStart = performance.now();
    try {
      runConfMode({ mode, file, silent: opts.silent, input: opts.input, seed });
    } finally {
      useContext(null);
      files.push(...c.written);
      tree = t;
    }
    stages.push({ from: fe.from, ...fe.ms, mode: performance.now() - modeStart });
  };

  const cfgName = env.KCONFIG_CONFIG ?? '.config';
  const cfgPath = resolve(objtree, cfgName);
  const readFragment = (f: string): { name: string; text: string } => {
    if (!existsSync(f)) throw new MergeConfigError(`The merge file '${f}' does not exist.  Exit.`);
    return { name: f, text: readFileSync(f, 'latin1') };
  };
  /** merge_config.sh's merge of `frags` onto `baseText`, its messages printed as the script does. */
  const merge = (baseText: string, frags: string[]): MergeConfigResult => {
    const r = mergeConfig(baseText, frags.map(readFragment), { ...opts.merge, prefix: env.CONFIG_ ?? 'CONFIG_', baseName: opts.merge?.baseName ?? cfgName });
    outSink(`${r.messages.join('\n')}\n`);
    return r;
  };

  /** Write a merged configuration as .config, as merge_config.sh -m does, and say so. */
  const writeMerged = (text: string): void => {
    writeFileAtomic(cfgPath, Buffer.from(text, 'latin1'));
    files.push(cfgPath);
    outSink(`#\n# merged configuration written to ${cfgName} (needs make)\n#\n`);
  };

  /**
   * `make <fragment>.config` (scripts/kconfig/Makefile `%.config`): merge_config.sh -m .config
   * <the target's fragments> [extra fragments], then olddefconfig.
   */
  const fragmentTarget = (name: string | null): void => {
    const found = name === null ? [] : configFragmentFiles(srctree, opts.arch, name);
    if (name !== null && found.length === 0) throw Object.assign(new Error(`No configuration exists for this target on this architecture (${name})`), { userError: true });
    const base = existsSync(cfgPath) ? readFileSync(cfgPath, 'latin1') : '';
    const merged = merge(base, [...found, ...(opts.fragments ?? []).map((f) => resolve(f))]);
    writeMerged(merged.text);
    conf('olddefconfig', undefined);
  };

  /**
   * scripts/kconfig/merge_config.sh BASE FRAGMENT...: merge onto BASE; with `mergeOnly` (-m) write
   * the result as .config; else run alldefconfig (allnoconfig with `allnoconfig`, -n) with
   * KCONFIG_ALLCONFIG set to the merged file, then report every requested value that did not
   * make it into the final .config, as the script does.
   */
  const mergeScript = (): void => {
    const [baseFile, ...frags] = (opts.fragments ?? []).map((f) => resolve(f));
    if (baseFile === undefined) throw Object.assign(new Error('merge: give the base configuration and the fragments to merge onto it'), { userError: true });
    const base = readFragment(baseFile).text;
    const merged = merge(base, frags);
    if (opts.merge?.mergeOnly) {
      writeMerged(merged.text);
      return;
    }
    const tmp = join(objtree, `.tmp.config.kbuildts${process.pid}`);
    writeFileAtomic(tmp, Buffer.from(merged.text, 'latin1'));
    try {
      conf(opts.merge?.allnoconfig ? 'allnoconfig' : 'alldefconfig', undefined, { KCONFIG_ALLCONFIG: tmp });
    } finally {
      rmSync(tmp, { force: true });
    }
    // REQUESTED_VAL=$(grep -w -e "$CFG" $TMP_FILE); ACTUAL_VAL=$(grep -w -e "$CFG" .config), for
    // every symbol line of the merged file in order (repeats included), as the script loops.
    const final = existsSync(cfgPath) ? readFileSync(cfgPath, 'latin1').split('\n') : [];
    const requested = merged.text.split('\n');
    for (const cfg of fragmentSymbols(merged.text, env.CONFIG_ ?? 'CONFIG_')) {
      const want = grepWord(requested, cfg);
      const got = grepWord(final, cfg);
      if (want !== got) outSink(`Value requested for ${cfg} not in final .config\nRequested value:  ${want}\nActual value:     ${got}\n\n`);
    }
  };

  /** The make target's conf runs (and merges). */
  const runTarget = (mode: string): void => {
    if (mode === 'tinyconfig') {
      conf('allnoconfig', undefined, { KCONFIG_ALLCONFIG: 'kernel/configs/tiny-base.config' }, true);
      fragmentTarget('tiny.config');
    } else if (mode === 'merge') {
      mergeScript();
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
      throw Object.assign(new Error(`unknown configuration mode '${mode}' (modes: ${CONF_MODES.join(', ')}, <name>_defconfig, tinyconfig, <fragment>.config, merge)`), { userError: true });
    }
  };

  const snapshotSaves: RunConfigResult['snapshotSaves'] = [];
  try {
    runTarget(opts.mode);
  } finally {
    // Once the files are written (also after a failed mode: the snapshot serves the next run).
    for (const k of pendingSaves) snapshotSaves.push(startSnapshotSave(k));
  }
  const warnings = stderr.split(/\n(?=\S)|\n\n/).map((w) => w.trim()).filter((w) => w.length > 0);
  return { files, stdout, stderr, warnings, tree: tree!, frontEnd, stages, snapshotSaves };
}
