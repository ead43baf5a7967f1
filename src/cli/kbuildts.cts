#!/usr/bin/env -S node --max-semi-space-size=128 --min-semi-space-size=128
/**
 * The `kbuildts` command (package.json "bin"): runs the CLI (./main.ts) from its one-file
 * CommonJS bundle, dist/cli/bundle.cjs (scripts/bundle-cli.mjs), compiled with a V8 code cache
 * kept in `<cache>/code/`, or as ES modules when there is no bundle or it is older than the
 * compiled main.js (`tsc` ran after `npm run build`), or when KBUILDTS_BUNDLE=0.
 *
 * Why: Node 20 keeps no compiled code between runs of ES modules (module.enableCompileCache()
 * came in Node 22), so every command paid for loading its modules through the ES module loader
 * (33 files for a config run: 25 of kbuildts, 8 of commander) and for compiling each function it
 * called. From a code cache made at the end of an
 * earlier run of the same command, V8 takes the bytecode of every function that run compiled.
 * Measured on a warm `kbuildts config alldefconfig` of the 6.1 arm64 tree (tmpfs, medians of 25
 * alternating runs): 390 ms as ES modules, 340 ms from the bundle with its code cache (480 and
 * 400 ms, 21 runs, at a slower hour of the same VM).
 *
 * The code cache: one file per bundle (the sha1 on the bundle's first line), Node version,
 * node options and command name (the first argument: each command compiles its own functions).
 * It is written at exit, atomically, when there was none or V8 rejected it (another V8, or a
 * damaged file), by a run that exits 0 and is not a help or version run; the 12 newest are
 * kept. Any failure to read or write it only means compiling from source, as without it.
 *
 * This file is CommonJS (.cts) so that the process starts without the ES module loader.
 *
 * The `#!` line gives V8 a young generation of 128 MB semi-spaces from the start (the default
 * starts at 1 MB and grows to 16 MB). A config run allocates its whole Kconfig tree at once and
 * keeps it: with the default, V8 scavenges a dozen times and copies the live tree twice (into the
 * other semi-space, then into the old generation), some 70 ms of a 0.5 s warm allyesconfig and
 * 90 ms of a parsed one on the 6.1 arm64 tree; with this setting it does not collect at all.
 * Peak RSS, measured when the setting came in: 132 -> 124 MB warm, 144 -> 180 MB with the tree
 * parsed. `env -S` is GNU coreutils 8.30+ and BSD env. `node dist/cli/kbuildts.cjs` runs without
 * the setting: the same output, more GC.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Module = require('node:module');
import vm = require('node:vm');

/** The bundle next to this file, and its first line: `// kbuildts-bundle <sha1 of the rest>`. */
const BUNDLE = join(__dirname, 'bundle.cjs');
const ID_LINE = /^\/\/ kbuildts-bundle ([0-9a-f]{40})\n/;

/**
 * The bundle's text when it should run: it exists, carries its id line and is not older than
 * the compiled ./main.js it was made from.
 * @returns [text, id] or null (run the ES modules)
 */
function bundleText(): [string, string] | null {
  if (process.env.KBUILDTS_BUNDLE === '0') return null;
  try {
    if (statSync(BUNDLE).mtimeMs < statSync(join(__dirname, 'main.js')).mtimeMs) return null;
    const text = readFileSync(BUNDLE, 'utf8');
    const id = ID_LINE.exec(text);
    return id === null ? null : [text, id[1]];
  } catch {
    return null;
  }
}

/**
 * The code cache's file for bundle `id` and this process: the cache directory as
 * src/runner/cache.ts cacheDir() finds it (KBUILDTS_CACHE, else $XDG_CACHE_HOME/kbuildts, else
 * ~/.cache/kbuildts), then `code/<id>-<node version>-<hash of the node options>-<command>.v8`.
 */
function codeCacheFile(id: string, command: string): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const dir = process.env.KBUILDTS_CACHE || join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'kbuildts');
  // FNV-1a of the options: V8 rejects a cache made under other flags, so each set gets its own.
  let h = 0x811c9dc5;
  for (const ch of process.execArgv.join('\0')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const name = /^[a-z]+$/.test(command) ? command : 'other';
  return join(dir, 'code', `${id.slice(0, 16)}-${process.version}-${h.toString(16)}-${name}.v8`);
}

/** Code caches kept (the most recently written): a few commands, node versions and builds. */
const KEEP = 12;

/** Remove all but the {@link KEEP} newest code caches of `dir` (other builds' leftovers). */
function prune(dir: string): void {
  const files = readdirSync(dir)
    .filter((n) => n.endsWith('.v8'))
    .map((n) => ({ path: join(dir, n), mtime: statSync(join(dir, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const f of files.slice(KEEP)) rmSync(f.path, { force: true });
}

/** Run the bundle's text (a CommonJS module) with the code cache of `command`. */
function runBundle(text: string, id: string, command: string): void {
  const cacheFile = codeCacheFile(id, command);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(text), {
    filename: BUNDLE,
    cachedData,
    // import() in the bundle (of a package it does not contain) works as in any CommonJS module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const args = process.argv.slice(2);
  const informational = args.some((a) => a === '-h' || a === '--help' || a === '-V' || a === '--version') || args.length === 0;
  if ((cachedData === undefined || script.cachedDataRejected === true) && !informational) {
    process.once('exit', (code) => {
      if (code !== 0) return; // a failed run compiled less than the command's usual path
      try {
        const data = script.createCachedData();
        mkdirSync(join(cacheFile, '..'), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, data);
        renameSync(tmp, cacheFile);
        prune(join(cacheFile, '..'));
      } catch {
        // a read-only or full cache directory: the next run compiles from source again
      }
    });
  }
  const m = new Module(BUNDLE, module);
  m.filename = BUNDLE;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(m.exports, m.exports, Module.createRequire(BUNDLE), m, BUNDLE, __dirname);
}

const bundle = bundleText();
if (bundle === null) void import('./main.js');
else runBundle(bundle[0], bundle[1], process.argv[2] ?? '');
