/**
 * The cross toolchain and the kernel build directory (KDIR) that out-of-tree modules are built
 * against, and helpers to run `make -C KDIR ARCH=... CROSS_COMPILE=... M=dir ...` the way
 * Documentation/kbuild/modules.rst describes ("Building External Modules": `make -C <path_to_kernel_dir>
 * M=$PWD`), with ARCH and CROSS_COMPILE on the command line (Documentation/kbuild/kbuild.rst).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import { DEBIAN_CROSS_COMPILE, defaultCrossCompile } from '../kconfig/environment.js';
import { SetupMissingError, loadManifest } from './cache.js';

/** A user-facing error: the CLI prints its message and exits 1 (see src/cli/errors.ts). */
export class ToolchainError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'ToolchainError';
  }
}

/** The CROSS_COMPILE prefixes kbuildts defaults to (environment.ts), each the triplet of Debian's `gcc-<triplet>`. */
const DEFAULT_PREFIXES = new Set(DEBIAN_CROSS_COMPILE.values());

/** A usable compiler for one ARCH. */
export interface Toolchain {
  /** Kernel ARCH, e.g. "arm64". */
  arch: string;
  /** CROSS_COMPILE prefix, e.g. "aarch64-linux-gnu-" ("" for the host compiler). */
  crossCompile: string;
  /** Absolute path of `${crossCompile}gcc`. */
  gcc: string;
  /** First line of `gcc --version`, e.g. "aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0". */
  version: string;
}

/**
 * The Debian package that provides `${crossCompile}gcc`, e.g. "gcc-aarch64-linux-gnu": "gcc" for
 * the host's (""), `gcc-<triplet>` for a prefix kbuildts defaults to or x86-64-linux-gnu-;
 * undefined for a prefix kbuildts does not know.
 */
export function debianPackageFor(crossCompile: string): string | undefined {
  if (crossCompile === '') return 'gcc';
  return DEFAULT_PREFIXES.has(crossCompile) || crossCompile === 'x86-64-linux-gnu-' ? `gcc-${crossCompile.slice(0, -1)}` : undefined;
}

/** How the project's own set-up installs the compiler of `crossCompile`, when it does ("" when not). */
function setupHint(crossCompile: string): string {
  if (crossCompile === 'aarch64-linux-gnu-') return ' (`npm run setup` does)';
  return DEFAULT_PREFIXES.has(crossCompile) ? ' (`bash scripts/setup.sh --sweep` does)' : '';
}

/** The absolute path of an executable found on $PATH (or the path itself when it has a `/`). */
export function which(cmd: string, path: string = process.env.PATH ?? ''): string | undefined {
  const candidates = cmd.includes('/') ? [resolve(cmd)] : path.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * The CROSS_COMPILE prefix to use: the explicit option, else $CROSS_COMPILE (make takes it from the
 * environment too), else Debian's cross triplet for ARCH (arm64 → "aarch64-linux-gnu-").
 */
export function crossCompileFor(arch: string, explicit?: string): string {
  if (explicit !== undefined) return explicit;
  if (process.env.CROSS_COMPILE !== undefined && process.env.CROSS_COMPILE !== '') return process.env.CROSS_COMPILE;
  return defaultCrossCompile(arch);
}

/**
 * Find and check the compiler for ARCH.
 * @param opts.arch kernel ARCH ("arm64", "arm", "riscv", "x86_64", ...).
 * @param opts.crossCompile CROSS_COMPILE prefix; default {@link crossCompileFor}.
 * @throws ToolchainError naming the Debian package when `${crossCompile}gcc` is not installed.
 */
export function findToolchain(opts: { arch: string; crossCompile?: string }): Toolchain {
  const crossCompile = crossCompileFor(opts.arch, opts.crossCompile);
  const gccName = `${crossCompile}gcc`;
  const gcc = which(gccName);
  if (!gcc) {
    const pkg = debianPackageFor(crossCompile);
    const how = pkg
      ? `install the Debian package ${pkg}${setupHint(crossCompile)}`
      : 'install a cross compiler with that prefix or pass another CROSS_COMPILE';
    throw new ToolchainError(`${gccName} not found on PATH (ARCH=${opts.arch}, CROSS_COMPILE=${crossCompile}): ${how}`);
  }
  let version = '';
  try {
    version = execFileSync(gcc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch {
    throw new ToolchainError(`${gcc} does not run (\`${gccName} --version\` failed)`);
  }
  return { arch: opts.arch, crossCompile, gcc, version };
}

/** A prepared kernel build directory to build external modules against. */
export interface KernelDir {
  /** Absolute path of KDIR (contains Makefile, .config, include/generated/, Module.symvers). */
  kdir: string;
  /**
   * The kernel release modules built here are for (their vermagic's first word), e.g.
   * "6.1.0-56-arm64": UTS_RELEASE from include/generated/utsrelease.h, else
   * include/config/kernel.release. (Debian's headers packages keep the upstream version,
   * "6.1.192", in include/config/kernel.release; utsrelease.h has the real release.)
   */
  kernelRelease: string;
  /** True when KDIR came from the setup manifest rather than the caller. */
  fromManifest: boolean;
}

/**
 * The kernel release of a prepared KDIR (see {@link KernelDir.kernelRelease}).
 * @throws ToolchainError when neither file exists (the tree is not prepared: run
 *   `make modules_prepare` in it, or use an installed linux-headers-* tree).
 */
export function kernelReleaseOf(kdir: string): string {
  const uts = join(kdir, 'include/generated/utsrelease.h');
  if (existsSync(uts)) {
    const m = /#define\s+UTS_RELEASE\s+"([^"]*)"/.exec(readFileSync(uts, 'utf8'));
    if (m) return m[1];
  }
  const rel = join(kdir, 'include/config/kernel.release');
  if (existsSync(rel)) return readFileSync(rel, 'utf8').trim();
  throw new ToolchainError(
    `${kdir} is not a prepared kernel build directory (no include/generated/utsrelease.h or include/config/kernel.release): ` +
      'run `make modules_prepare` there, or use a linux-headers-* tree',
  );
}

/**
 * Resolve KDIR: the given directory, else $KBUILDTS_KDIR, else (for arm64) the headers unpacked by
 * `npm run setup` (manifest arm64.kdir).
 * Checks that it is a prepared tree whose scripts/ (fixdep, modpost) resolve.
 * @param opts.kdir a kernel build directory (relative paths are taken from the cwd).
 * @param opts.arch kernel ARCH; only "arm64" has a manifest default.
 * @throws ToolchainError for a KDIR that is not usable; SetupMissingError when no KDIR is given
 *   and setup has not run.
 */
export function resolveKdir(opts: { kdir?: string; arch: string }): KernelDir {
  let kdir = opts.kdir ?? (process.env.KBUILDTS_KDIR || undefined);
  let fromManifest = false;
  if (kdir === undefined) {
    if (opts.arch !== 'arm64') throw new ToolchainError(`no KDIR given for ARCH=${opts.arch} (setup only provides arm64 headers): pass --kdir`);
    const arm64 = loadManifest().arm64;
    if (!arm64) throw new SetupMissingError('the arm64 kernel headers (KDIR)');
    kdir = arm64.kdir;
    fromManifest = true;
  }
  kdir = isAbsolute(kdir) ? kdir : resolve(kdir);
  if (!existsSync(join(kdir, 'Makefile'))) {
    if (fromManifest) throw new SetupMissingError(`the arm64 kernel headers at ${kdir}`);
    throw new ToolchainError(`${kdir} is not a kernel build directory (no Makefile)`);
  }
  const kernelRelease = kernelReleaseOf(kdir);
  for (const tool of ['scripts/basic/fixdep', 'scripts/mod/modpost']) {
    if (!existsSync(join(kdir, tool))) {
      const debian = /^(\d+\.\d+)\./.exec(kernelRelease);
      const hint = fromManifest || existsSync(join(kdir, '.kernelvariables'))
        ? ` (Debian headers link scripts/ into linux-kbuild-${debian ? debian[1] : '<series>'}: install it at the headers' version; \`npm run setup\` does)`
        : ' (run `make modules_prepare` in the kernel tree)';
      throw new ToolchainError(`${join(kdir, tool)} is missing${hint}`);
    }
  }
  return { kdir, kernelRelease, fromManifest };
}

/** Options for {@link runMake}. */
export interface MakeOptions {
  /** Kernel build directory (`make -C KDIR`). */
  kdir: string;
  /** Kernel ARCH (passed as `ARCH=`). */
  arch: string;
  /** CROSS_COMPILE prefix; default {@link crossCompileFor}(arch). */
  crossCompile?: string;
  /** Further make arguments: variables (`M=/abs/dir`) and targets (`modules`, `clean`, `x.o`). */
  args: string[];
  /** Parallel jobs (`-j`); default os.availableParallelism(). */
  jobs?: number;
  /** Extra environment for make (merged over process.env, LC_ALL=C and LANG=C). */
  env?: Record<string, string>;
  /** Called with each complete output line as it arrives (stdout and stderr). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Kill make after this many milliseconds (default: no limit). */
  timeoutMs?: number;
}

/** What one make run did. */
export interface MakeResult {
  /** argv, starting with "make". */
  command: string[];
  /** make's exit status (undefined when it was killed). */
  exitCode: number | undefined;
  /** exitCode === 0. */
  ok: boolean;
  /** stdout and stderr interleaved as they came. */
  output: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The argv for `make -C KDIR ARCH=.. CROSS_COMPILE=.. -jN args...` (without running it). */
export function makeArgv(opts: MakeOptions): string[] {
  const cross = crossCompileFor(opts.arch, opts.crossCompile);
  return ['make', `-j${opts.jobs ?? availableParallelism()}`, '-C', opts.kdir, `ARCH=${opts.arch}`, `CROSS_COMPILE=${cross}`, ...opts.args];
}

/**
 * Run make in KDIR with ARCH and CROSS_COMPILE set, streaming lines to `onLine` and collecting
 * the output. Does not throw on a failed build: check {@link MakeResult.ok}.
 * @throws ToolchainError when `make` itself is not installed (Debian package make).
 */
export async function runMake(opts: MakeOptions): Promise<MakeResult> {
  if (!which('make')) throw new ToolchainError('make not found on PATH: install the Debian package make');
  const [file, ...args] = makeArgv(opts);
  const child = execa(file, args, {
    reject: false,
    all: true,
    stdin: 'ignore',
    // The top Makefile unexports LC_ALL, so LANG decides the compiler's quotes: plain ASCII.
    env: { LC_ALL: 'C', LANG: 'C', ...opts.env },
    timeout: opts.timeoutMs,
  });
  if (opts.onLine) {
    const cb = opts.onLine;
    for (const stream of ['stdout', 'stderr'] as const) {
      let pending = '';
      child[stream]?.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) cb(l, stream);
      });
      child[stream]?.on('end', () => {
        if (pending) cb(pending, stream);
      });
    }
  }
  const r = await child;
  return {
    command: [file, ...args],
    exitCode: r.exitCode,
    ok: r.exitCode === 0 && !r.timedOut,
    output: String(r.all ?? ''),
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: r.timedOut,
  };
}

/** A failed make run; `result` has the full output. */
export class MakeError extends Error {
  readonly userError = true;
  constructor(readonly result: MakeResult) {
    const tail = result.output.trimEnd().split('\n').slice(-25).join('\n');
    super(`${result.command.join(' ')} failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode}`}):\n${tail}`);
    this.name = 'MakeError';
  }
}

/**
 * Build the external modules in `dir` (`make -C KDIR M=dir modules`, Documentation/kbuild/modules.rst
 * section 2), after checking the toolchain and KDIR.
 * @param opts.dir directory holding the Kbuild/Makefile with `obj-m` (absolute or cwd-relative).
 * @param opts.kdir KDIR; default the manifest's arm64 headers.
 * @returns the .ko files now in `dir` (absolute, sorted) and the make result.
 * @throws ToolchainError / SetupMissingError for missing parts; MakeError when the build fails.
 */
export async function buildExternalModules(opts: {
  dir: string;
  arch?: string;
  kdir?: string;
  crossCompile?: string;
  jobs?: number;
  onLine?: MakeOptions['onLine'];
}): Promise<{ kos: string[]; result: MakeResult; kernel: KernelDir; toolchain: Toolchain }> {
  const arch = opts.arch ?? 'arm64';
  const toolchain = findToolchain({ arch, crossCompile: opts.crossCompile });
  const kernel = resolveKdir({ kdir: opts.kdir, arch });
  const dir = resolve(opts.dir);
  const result = await runMake({ kdir: kernel.kdir, arch, crossCompile: toolchain.crossCompile, args: [`M=${dir}`, 'modules'], jobs: opts.jobs, onLine: opts.onLine });
  if (!result.ok) throw new MakeError(result);
  const kos = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ko'))
    .map((f) => join(dir, f))
    .sort();
  return { kos, result, kernel, toolchain };
}
