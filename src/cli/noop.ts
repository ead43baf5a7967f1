/**
 * The no-op fast path of `kbuildts build` (issue #4): after a successful direct build the command
 * writes a stamp, `<buildDir>/.kbuildts/noop.json`, holding
 *  - the key: a hash of the command line (arguments as given), the working directory, the
 *    environment variables that can change the build (CC, PATH, HOME, ARCH, CROSS_COMPILE,
 *    KBUILD*, KBUILDTS*, XDG_CACHE_HOME, CCACHE*, DISTCC*) and this program's own files;
 *  - every input as [path, mtimeMs, size]: the tree's directories and files (Kbuild/Makefiles,
 *    sources), the .config, KDIR's release/config/symvers files and modpost, the compiler and
 *    wrapper executables, the kflags cache, and every input the per-output `.kbt.json` records
 *    list (sources and the headers from gcc's dependency files);
 *  - every output file under the build directory as [path, mtimeMs, size];
 *  - what the command printed as its summary (stdout, stderr) for a run in which nothing changed.
 * `cacheDir()/noop/<key>` names the build directory of that key, so the check needs no argument
 * parsing. {@link tryNoop} runs before the CLI loads commander or any of the build modules: when
 * the key matches and every recorded file has the same mtime and size (directories included, so
 * an added or removed file is seen), it prints the recorded summary and the CLI exits 0. Any
 * difference (or a missing or unreadable stamp) falls through to the normal build, which writes a
 * new stamp. Besides node built-ins it imports only runner/cache.ts and util/atomic-write.ts, which
 * import nothing else.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../runner/cache.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** [path, mtimeMs, size]. */
export type FileStat = [string, number, number];

/** The stamp (see the module doc). */
export interface NoopStamp {
  v: 1;
  key: string;
  inputs: FileStat[];
  outputs: FileStat[];
  stdout: string;
  stderr: string;
}

const STAMP_VERSION = 1;
const ENV_RE = /^(CC|PATH|HOME|ARCH|CROSS_COMPILE|XDG_CACHE_HOME|KBUILD.*|KBUILDTS.*|CCACHE.*|DISTCC.*)$/;

/** This program's own compiled files: a rebuilt kbuildts never takes a stamp written by another. */
function selfFiles(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [
    join(here, 'noop.js'),
    join(here, 'commands/build.js'),
    join(here, '../runner/build.js'),
    join(here, '../runner/direct.js'),
    join(here, '../runner/kflags.js'),
    join(here, '../runner/elf.js'),
    join(here, '../kbuild/routing.js'),
    join(here, '../kbuild/makefile.js'),
    join(here, '../kbuild/dotconfig.js'),
  ];
}

export function statOf(path: string): FileStat | null {
  try {
    const s = statSync(path);
    return [path, s.mtimeMs, s.size];
  } catch {
    return null;
  }
}

/**
 * The key of one invocation: arguments after `build`-time node and script, cwd, the relevant
 * environment, and the stats of this program's files.
 * @param args process.argv.slice(2)
 */
export function noopKey(args: readonly string[]): string {
  const env = Object.keys(process.env).filter((k) => ENV_RE.test(k)).sort().map((k) => [k, process.env[k]]);
  const self = selfFiles().map((f) => statOf(f) ?? [f, 0, -1]);
  return createHash('sha256').update(JSON.stringify({ v: STAMP_VERSION, args, cwd: process.cwd(), env, self })).digest('hex').slice(0, 32);
}

function indexFile(key: string): string {
  return join(cacheDir(), 'noop', key);
}

/** The stamp's path in a build directory. */
export function stampFile(buildDir: string): string {
  return join(buildDir, '.kbuildts', 'noop.json');
}

/** Every recorded file has the same mtime and size (size -1: recorded as missing, must still be). */
function same(recorded: readonly FileStat[]): boolean {
  for (const [p, mt, sz] of recorded) {
    let s;
    try {
      s = statSync(p);
    } catch {
      if (sz === -1) continue;
      return false;
    }
    if (s.mtimeMs !== mt || s.size !== sz) return false;
  }
  return true;
}

/**
 * The fast path: when a stamp for this invocation exists and nothing it records changed, print
 * its summary and return true; otherwise false (the caller runs the normal command).
 * @param args process.argv.slice(2)
 */
export function tryNoop(args: readonly string[]): boolean {
  if (args[0] !== 'build' || args.some((a) => a === '--kernel' || a === '--via-make' || a === '-h' || a === '--help' || a === '-V' || a === '--version')) return false;
  try {
    const key = noopKey(args);
    const buildDir = readFileSync(indexFile(key), 'utf8');
    const st = JSON.parse(readFileSync(stampFile(buildDir), 'utf8')) as NoopStamp;
    if (st.v !== STAMP_VERSION || st.key !== key) return false;
    if (!same(st.inputs) || !same(st.outputs)) return false;
    if (st.stderr) process.stderr.write(st.stderr);
    if (st.stdout) process.stdout.write(st.stdout);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every directory and file under `root` (directories first), skipping `exclude` (the build
 * directory when it lies inside the tree), `.git` and temporary files; symlinked directories are
 * followed once each.
 */
export function walkTree(root: string, exclude: ReadonlySet<string> = new Set(), out: FileStat[] = [], seen: Set<string> = new Set()): FileStat[] {
  const d = statOf(root);
  if (!d) return out;
  out.push(d);
  let real: string;
  let ents;
  try {
    real = realpathSync(root);
    if (seen.has(real)) return out;
    seen.add(real);
    ents = readdirSync(root, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of ents) {
    const p = join(root, e.name);
    if (exclude.has(p) || e.name === '.git') continue;
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        /* dangling: recorded as a file (missing) below */
      }
    }
    if (isDir) walkTree(p, exclude, out, seen);
    else if (!/\.tmp\d+$/.test(e.name)) out.push(statOf(p) ?? [p, 0, -1]);
  }
  return out;
}

/** The inputs that the `.kbt.json` records among `files` list, as recorded when each output was made. */
function recordedInputs(files: readonly FileStat[]): FileStat[] {
  const out: FileStat[] = [];
  for (const [p] of files) {
    if (!p.endsWith('.kbt.json')) continue;
    try {
      const rec = JSON.parse(readFileSync(p, 'utf8')) as { inputs?: FileStat[] };
      out.push(...(rec.inputs ?? []));
    } catch {
      /* unreadable: the next normal build remakes its output */
    }
  }
  return out;
}

/**
 * Write the stamp and its index entry (both atomically). Failures are ignored: without a stamp the
 * next run takes the normal path.
 * @param args process.argv.slice(2) of the run that built
 * @param before inputs stat'ed before the build started
 * @param after inputs stat'ed after it (the toolchain, the kernel headers...). Between the two
 *   come the inputs that the per-output `.kbt.json` records under `buildDir` list, read in the
 *   same walk of `buildDir` that lists the outputs. A path listed twice keeps its first stat:
 *   the one taken before the output was made.
 */
export function writeNoopStamp(args: readonly string[], buildDir: string, before: FileStat[], after: FileStat[], stdout: string, stderr: string): void {
  try {
    const key = noopKey(args);
    const sf = stampFile(buildDir);
    // Not the directories themselves: .kbuildts/ changes as the stamp is written.
    const meta = join(buildDir, '.kbuildts');
    const all = walkTree(buildDir);
    const outputs = all.filter(([p]) => p !== buildDir && p !== meta && !p.startsWith(`${meta}/`));
    const autoconf = statOf(join(meta, 'autoconf.h'));
    if (autoconf) outputs.push(autoconf);
    const byPath = new Map<string, FileStat>();
    for (const i of [...before, ...recordedInputs(all), ...after]) if (!byPath.has(i[0])) byPath.set(i[0], i);
    const stamp: NoopStamp = { v: STAMP_VERSION, key, inputs: [...byPath.values()], outputs, stdout, stderr };
    writeFileAtomic(sf, JSON.stringify(stamp));
    writeFileAtomic(indexFile(key), buildDir);
  } catch {
    /* no stamp: the next run builds normally */
  }
}
