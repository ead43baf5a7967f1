/**
 * Loading a kernel tree for the interactive front ends: what mconf.c's main() does before its
 * first screen (conf_parse(), then conf_read(NULL)), in the same environment `make menuconfig`
 * gives the tool (src/kconfig/environment.ts makeEnvironment), run in the object tree.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultCrossCompile, makeEnvironment } from '../kconfig/environment.js';
import { treeVersion } from '../kconfig/config.js';
import { finalizedTree, startSnapshotSave } from '../kconfig/frontend-cache.js';
import { confRead } from '../kconfig/confdata.js';
import type { EvalContext } from '../kconfig/evaluate.js';

/** Options of {@link loadSession}. */
export interface LoadSessionOptions {
  /** Kernel source tree (srctree). */
  srctree: string;
  /** Object tree (O=), where .config lives; default srctree. */
  objtree?: string;
  /** ARCH as given to make. */
  arch: string;
  /** CROSS_COMPILE; default {@link defaultCrossCompile}(arch). */
  crossCompile?: string;
  /** Base environment (default process.env); KCONFIG_CONFIG and the other KCONFIG_* are read from it. */
  env?: Record<string, string | undefined>;
  /** Where parse/read messages go (stdout text, stderr text). Default: the process streams. */
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** The front-end snapshot (src/kconfig/frontend-cache.ts): 'use' (default), 'refresh' or 'off'. */
  frontEndCache?: 'use' | 'refresh' | 'off';
  /**
   * How a missed snapshot is written: 'inline' (default), or 'background': for a kernel-sized
   * tree, by a detached process started as soon as the tree is loaded (frontend-cache.ts
   * startSnapshotSave), while the user looks at the first screen.
   */
  frontEndSave?: 'inline' | 'background';
}

/** A parsed, finalised tree with the user configuration read: the current evaluation context. */
export interface Session {
  /** The evaluation context (current until another tree is loaded). */
  ctx: EvalContext;
  /** The configuration file name as conf_get_configname() gives it (KCONFIG_CONFIG or .config). */
  configName: string;
  /** Absolute object tree. */
  objtree: string;
  /** How the finalised tree was had: parsed, or from the front-end snapshot (src/kconfig/frontend-cache.ts). */
  frontEnd: 'parsed' | 'snapshot';
}

/**
 * Parse and finalise the Kconfig tree of `srctree` (or read its front-end snapshot) and read the user configuration
 * (conf_read(NULL): KCONFIG_CONFIG, else the KCONFIG_DEFCONFIG_LIST fall-backs), as mconf does
 * on start. Leaves the tree's context current.
 * @throws Error (userError) when srctree has no Kconfig or is a kernel version kbuildts does not know;
 *   KconfigError for Kconfig syntax errors and recursive dependencies.
 */
export function loadSession(opts: LoadSessionOptions): Session {
  const srctree = resolve(opts.srctree);
  const objtree = resolve(opts.objtree ?? srctree);
  if (!existsSync(join(srctree, 'Kconfig'))) {
    throw Object.assign(new Error(`${srctree}: no Kconfig here; give the tree to configure with --srctree`), { userError: true });
  }
  const { kernelVersion, version } = treeVersion(srctree);
  const env = makeEnvironment({
    srctree, arch: opts.arch, crossCompile: opts.crossCompile ?? defaultCrossCompile(opts.arch), kernelVersion,
    base: (opts.env ?? process.env) as NodeJS.ProcessEnv,
  });
  const stdout = opts.stdout ?? ((s: string) => void process.stdout.write(Buffer.from(s, 'latin1')));
  const stderr = opts.stderr ?? ((s: string) => void process.stderr.write(Buffer.from(s, 'latin1')));
  mkdirSync(objtree, { recursive: true });
  const { ctx: c, from, pendingSave } = finalizedTree({
    srctree, objtree, file: 'Kconfig', version, env, stdout, stderr, snapshot: opts.frontEndCache, save: opts.frontEndSave,
  });
  if (pendingSave) startSnapshotSave(pendingSave);
  c.cwd = objtree;
  c.message = (s) => stdout(s);
  confRead(null);
  return { ctx: c, configName: env.KCONFIG_CONFIG ?? '.config', objtree, frontEnd: from };
}
