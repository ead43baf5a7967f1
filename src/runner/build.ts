/**
 * Building a routed driver tree for arm64, by one of two engines, with the same verification.
 *
 * The default engine, `direct` ({@link buildDirect}, src/runner/direct.ts), compiles every
 * routed object itself with the kernel's own command lines: module parts with -DMODULE, built-in
 * parts as for vmlinux (-DKBUILD_MODFILE), each with its directory's flags (subdir-ccflags-y chain,
 * ccflags-y, CFLAGS_x.o, `$(src)` expanded to the source directory) and the tree's generated
 * autoconf header (`-include`); links composites, archives each directory's built-in objects into
 * its built-in.a (a thin archive, `ar cDPrST`, as scripts/Makefile.build), runs KDIR's modpost and
 * links each .ko as scripts/Makefile.modfinal. Sources are compiled where they are (no copy), so
 * compiler messages already name the source tree. It is incremental per object (command line,
 * source and headers, and the tree's CONFIG_ symbols each object mentions: see direct.ts).
 *
 * The `make` engine (`kbuildts build --via-make`) goes through the kernel's own Kbuild
 * (Documentation/kbuild/modules.rst, "Building External Modules"):
 *
 *  1. Route the tree ({@link routeTree}: obj-y / obj-m / composites / flags against the .config).
 *  2. Mirror it into a build directory: sources copied (mtime kept, so make stays incremental),
 *     and in every routed directory a generated `Kbuild` whose lists are already resolved:
 *     `obj-m +=` only for module objects, `obj-y +=` for built-in ones, `<name>-y :=` for each
 *     composite, the directory's ccflags-y / CFLAGS_x.o / subdir-ccflags-y / asflags-y, and
 *     `obj-y += sub/` or `obj-m += sub/` as the subdirectory is reached. The .config symbols the
 *     target kernel does not define are given to the compiler through a generated autoconf
 *     header (`-include`), so `IS_ENABLED(CONFIG_...)` in the tree's C works as in-tree.
 *  3. `make -C KDIR ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- M=<builddir> modules`: compiles
 *     with -DMODULE, runs modpost (exports and imports resolved within the tree; other trees'
 *     Module.symvers through KBUILD_EXTRA_SYMBOLS), links each .ko (scripts/Makefile.modfinal).
 *  4. `make -C KDIR ... M=<builddir> <dir>/<part>.o ...` for the parts of built-in objects:
 *     single-target builds, compiled as for vmlinux (no -DMODULE, -DKBUILD_MODFILE).
 *     In an M= build Kbuild's `$(obj)` is the absolute build directory, so KBUILD_MODFILE is
 *     `<builddir>/<dir>/<name>` rather than the in-tree `<dir>/<name>` that `kbuildts plan` shows.
 *  5. Verify: each .ko's vermagic begins with the target's kernel release (UTS_RELEASE of KDIR);
 *     each built-in object carries its initcall section (`.initcall6.init` for module_init, i.e.
 *     device_initcall; `.initcall4.init` for subsys_initcall: include/linux/init.h) and none of
 *     the module-only symbols (`init_module`, `cleanup_module`) that -DMODULE would produce.
 *
 * Compiler and make messages are shown with build-directory paths mapped back to the source tree.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { autoconfHeader, readDotConfig, type DotConfig } from '../kbuild/dotconfig.js';
import { routeTree, type RoutedPart, type Routing } from '../kbuild/routing.js';
import { buildDirect, DirectBuildError, type DirectAction, type DirectArchive, type DirectBuiltin, type DirectModule, type DirectUnits } from './direct.js';
import { loadKFlags, shellSplit } from './kflags.js';
import { cacheDir } from './cache.js';
import { readElf, splitModinfo, type ElfObject } from './elf.js';
import { findToolchain, resolveKdir } from './toolchain.js';

/** Options of {@link buildTree}. */
export interface BuildOptions {
  /** The driver tree (a directory with a Kbuild file or Makefile). */
  dir: string;
  /** The .config to route against; default `<dir>/.config`. */
  configFile?: string;
  /** Target architecture; only `arm64` is supported. */
  arch?: 'arm64';
  /** Kernel build tree for `make -C`; default $KBUILDTS_KDIR, else the set-up manifest's arm64.kdir. */
  kdir?: string;
  /** Build directory mirroring `dir`; default `<cache>/build/<name>-<hash>/arm64`. */
  outDir?: string;
  /** CROSS_COMPILE prefix; default `aarch64-linux-gnu-`. */
  crossCompile?: string;
  /** make -j; default the number of CPUs. */
  jobs?: number;
  /** Other trees' Module.symvers files (KBUILD_EXTRA_SYMBOLS), absolute or relative to the cwd. */
  extraSymbols?: string[];
  /** Progress callback (see {@link BuildEvent}). */
  onEvent?: (e: BuildEvent) => void;
  /** `direct` (default): {@link buildDirect}; `make`: `make -C KDIR M=` on a generated Kbuild mirror. */
  engine?: 'direct' | 'make';
  /** Command put in front of the compiler (`ccache`, `distcc`, ...); via make as `CC="<wrapper> <kernel's CC>"`. */
  ccWrapper?: string | string[];
  /** The compiler command replacing the kernel's, as `make CC=...` (passed so to make by the make engine). */
  cc?: string | string[];
}

/**
 * Progress of a build: `plan` once with the number of steps expected (compiles and links),
 * `step` for each Kbuild line (`CC [M]`, `LD [M]`, `MODPOST`...) with `counted` true when it is
 * one of the expected steps, `phase` at the start of each make run and the verification.
 */
export type BuildEvent =
  | { type: 'plan'; total: number; buildDir: string }
  | { type: 'phase'; phase: 'modules' | 'built-in' | 'verify' }
  /** `ran` (direct engine) is false for a step that was up to date; make shows only steps it runs. */
  | { type: 'step'; verb: string; target: string; counted: boolean; ran?: boolean };

/** One built module. */
export interface BuiltModule {
  /** Module name (the .ko's base name), e.g. `kbts_hello`. */
  name: string;
  /** Object path relative to the tree root, e.g. `drivers/kbts/hello/kbts_hello.o`. */
  object: string;
  /** Absolute path of the .ko in the build directory. */
  ko: string;
  /** The `vermagic=` string of its .modinfo, e.g. `6.1.0-56-arm64 SMP mod_unload modversions aarch64`. */
  vermagic: string;
  /** All .modinfo `key=value` pairs, in order. */
  modinfo: Array<[string, string]>;
  /** Bytes the module occupies when loaded: the sum of its SHF_ALLOC sections. */
  size: number;
}

/** One built-in object, compiled as for vmlinux. */
export interface BuiltBuiltin {
  /** Object path relative to the tree root, e.g. `drivers/kbts/early/kbts_early.o`. */
  object: string;
  /** Absolute paths of its compiled parts (one unless composite) in the build directory. */
  parts: string[];
  /** The initcall level number from the section (`4` subsys, `6` device...), or null if none. */
  initcallLevel: string | null;
  /** The initcall section found, e.g. `.initcall4.init`, or null. */
  initcallSection: string | null;
  /** The built-in.a it would be a member of, relative to the tree root. */
  archive: string;
  /** Bytes it adds to vmlinux: the sum of its parts' SHF_ALLOC sections. */
  size: number;
}

/** What {@link buildTree} returns. */
export interface BuildResult {
  /** The engine used. */
  engine: 'direct' | 'make';
  /** Absolute build directory. */
  buildDir: string;
  /** Direct engine: the archives made (absolute), e.g. `<buildDir>/drivers/foo/built-in.a`; [] via make. */
  archives: string[];
  /** Direct engine: the processes run (empty when nothing changed); [] via make. */
  actions: DirectAction[];
  /** The target's kernel release (UTS_RELEASE), e.g. `6.1.0-56-arm64`. */
  kernelRelease: string;
  /** The kernel build tree used (absolute). */
  kdir?: string;
  /** The CROSS_COMPILE prefix used. */
  crossCompile?: string;
  routing: Routing;
  modules: BuiltModule[];
  builtins: BuiltBuiltin[];
  /** Absolute path of the Module.symvers the build wrote (for another tree's KBUILD_EXTRA_SYMBOLS), if any module. */
  symvers?: string;
  /** Routing warnings (dropped objects etc.), `file:line:col: warning: ...`. */
  warnings: string[];
  /**
   * What the compiler and Kbuild said besides their progress lines (compiler warnings with their
   * context, modpost warnings), paths mapped to the source tree; [] for a quiet build.
   */
  messages: string[];
}

/** One compiler diagnostic, located in the source tree. */
export interface BuildDiagnostic {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning' | 'fatal error' | 'note';
  message: string;
}

/**
 * A failed build: make or the compiler failed, or verification failed. `message` holds the
 * compiler's diagnostics (`file:line:col: error: ...`, paths in the source tree) or the
 * verification failure. `userError` is true (the CLI exits 1).
 */
export class BuildError extends Error {
  readonly userError = true;
  constructor(
    message: string,
    /** Located diagnostics (errors and warnings), paths mapped to the source tree. */
    public readonly diagnostics: BuildDiagnostic[] = [],
    /** The full make output, paths mapped to the source tree. */
    public readonly output = '',
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

/** Files Kbuild creates in an M= tree: never copied from the source tree into the build copy. */
function isBuildProduct(name: string): boolean {
  return (
    /\.(o|ko|mod|mod\.c|a|cmd|order|symvers|d|tmp|su|dwo)$/.test(name) ||
    name === 'Module.symvers' ||
    name === 'modules.order' ||
    name.startsWith('.')
  );
}

/** Copy `src` tree files into `dst`, keeping mtimes; skip unchanged files. Returns nothing. */
function mirrorSources(srcRoot: string, dstRoot: string, routedDirs: Set<string>, rel = ''): void {
  const src = join(srcRoot, rel);
  const dst = join(dstRoot, rel);
  mkdirSync(dst, { recursive: true });
  for (const ent of readdirSync(src, { withFileTypes: true })) {
    if (ent.name.startsWith('.')) continue;
    const childRel = rel === '' ? ent.name : `${rel}/${ent.name}`;
    const s = join(src, ent.name);
    const isDir = ent.isDirectory() || (ent.isSymbolicLink() && existsSync(s) && statSync(s).isDirectory());
    if (isDir) {
      if (resolve(s) === resolve(dstRoot)) continue;
      mirrorSources(srcRoot, dstRoot, routedDirs, childRel);
      continue;
    }
    if (!ent.isFile() && !ent.isSymbolicLink()) continue;
    if (isBuildProduct(ent.name)) continue;
    if (routedDirs.has(rel) && (ent.name === 'Kbuild' || ent.name === 'Makefile')) continue;
    const d = join(dst, ent.name);
    const st = statSync(s);
    if (existsSync(d)) {
      const dt = statSync(d);
      if (dt.size === st.size && Math.floor(dt.mtimeMs) === Math.floor(st.mtimeMs)) continue;
    }
    copyFileSync(s, d);
    utimesSync(d, st.atime, st.mtime);
  }
}

/** Escape a value for a makefile line: `$` doubled except Kbuild's $(src)/$(obj)..., `#` escaped. */
function makeQuote(words: string[]): string {
  return words
    .map((w) => w.replace(/\$/g, '$$$$').replace(/\$\$\((src|obj|srctree|objtree)\)/g, '$($1)').replace(/#/g, '\\#'))
    .join(' ');
}

/** Write `text` to `file` only when it differs (keeps make's view of the tree unchanged). */
function writeIfChanged(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  writeFileSync(file, text);
}

/**
 * The generated Kbuild file of one routed directory (see the module doc, step 2).
 * @param routing the tree's routing
 * @param dir the directory, relative to the tree root ('' for the root)
 * @param autoconf absolute path of the generated autoconf header (root directory only), or null
 * @returns makefile text
 */
export function emitKbuild(routing: Routing, dir: string, autoconf: string | null): string {
  const d = routing.directories.find((x) => x.dir === dir);
  if (!d) throw new Error(`directory '${dir}' is not routed`);
  const local = (p: string): string => (dir === '' ? p : p.slice(dir.length + 1));
  const lines: string[] = [`# Generated by kbuildts from ${relative(routing.root, d.makefile) || d.makefile} and ${routing.configFile}; do not edit.`];
  if (autoconf) lines.push(`subdir-ccflags-y += -include ${autoconf}`);
  for (const [name, value] of Object.entries(d.flagVars)) {
    if (value.length > 0) lines.push(`${name} += ${makeQuote(value)}`);
  }
  for (const s of d.subdirs) {
    const child = routing.directories.find((x) => x.dir === s.dir);
    if (!child) continue;
    if (child.needBuiltin) lines.push(`obj-y += ${local(s.dir)}/`);
    else if (child.needModorder) lines.push(`obj-m += ${local(s.dir)}/`);
  }
  for (const o of routing.objects.filter((x) => x.dir === dir)) {
    if (o.route === 'dropped') continue;
    const list = o.route === 'module' ? 'obj-m' : o.route === 'built-in' ? 'obj-y' : 'lib-y';
    lines.push(`${list} += ${local(o.object)}`);
    if (o.composite) lines.push(`${o.name}-y := ${o.parts.map((p) => local(p.object)).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/** Lines of make output: `  CC [M]  /path/x.o` → verb and target. */
const STEP_RE = /^\s{2}([A-Z][A-Z0-9_]*(?: \[M\])?)\s+(\S+)/;
/** gcc/make diagnostics: `file:line:col: severity: message`. */
const DIAG_RE = /^(\/[^:\s]+):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;

async function runMake(
  kdir: string,
  args: string[],
  env: Record<string, string>,
  mapPath: (s: string) => string,
  onLine: (line: string) => void,
): Promise<string[]> {
  const child = execa('make', ['-C', kdir, ...args], { all: true, reject: false, env, extendEnv: true, stdin: 'ignore' });
  const out: string[] = [];
  for await (const raw of child.iterable({ from: 'all' })) {
    const line = mapPath(String(raw));
    out.push(line);
    onLine(line);
  }
  const res = await child;
  if (res.exitCode !== 0 || res.failed) {
    const diagnostics: BuildDiagnostic[] = [];
    for (const l of out) {
      const m = DIAG_RE.exec(l);
      if (m) diagnostics.push({ file: m[1]!, line: Number(m[2]), col: Number(m[3]), severity: m[4] as BuildDiagnostic['severity'], message: m[5]! });
    }
    // Show the compiler's own lines (diagnostics with their context, `In file included from`),
    // and make's error lines; drop Kbuild's progress lines and directory chatter.
    const shown = messagesOf(out);
    const errors = diagnostics.filter((d) => d.severity === 'error' || d.severity === 'fatal error');
    const head = errors.length > 0 ? `${errors.length} compiler error${errors.length === 1 ? '' : 's'}` : `make failed (exit ${res.exitCode ?? res.signal})`;
    throw new BuildError(`${shown.join('\n')}\n${head}`, diagnostics, out.join('\n'));
  }
  return messagesOf(out);
}

/** make output without Kbuild's progress lines, directory chatter and the expected BTF notice. */
function messagesOf(out: string[]): string[] {
  return out.filter(
    (l) => !STEP_RE.test(l) && !/^make(\[\d+\])?: (Entering|Leaving) directory/.test(l) && !/^Skipping BTF generation/.test(l) && l.trim() !== '',
  );
}

/**
 * Expand Kbuild's directory variables in one routed flag and remove the shell quoting make would
 * hand to the shell: `-I$(src)/include` → `-I<tree>/<dir>/include`, `-DX='"hi"'` → `-DX="hi"`.
 * `$(src)` is the makefile's source directory, `$(obj)` its output directory, `$(srctree)` and
 * `$(objtree)` the kernel tree (KDIR), as in an M= build.
 */
function expandFlag(flag: string, vars: { src: string; obj: string; kdir: string }): string[] {
  const expanded = flag.replace(/\$[({](src|obj|srctree|objtree)[)}]/g, (_m, v: string) =>
    v === 'src' ? vars.src : v === 'obj' ? vars.obj : vars.kdir);
  return shellSplit(expanded);
}

/**
 * The work list for {@link buildDirect} from a routing: each module with its parts, each built-in
 * (and lib-y) part, and the archives: every directory that needs a built-in.a gets one (its built-in
 * parts in makefile order, then the built-in.a of each obj-y subdirectory), children first; lib-y
 * parts go into the directory's lib.a. Every part's flags start with `-include <autoconf>`, as the
 * make engine's root `subdir-ccflags-y` does.
 * @param routing the tree's routing
 * @param outDir the output root (for `$(obj)`)
 * @param kdir the kernel tree (for `$(srctree)`, `$(objtree)`)
 * @param autoconf absolute path of the generated autoconf header
 */
export function directUnitsOf(routing: Routing, outDir: string, kdir: string, autoconf: string): DirectUnits {
  const flagsOf = (dir: string, p: RoutedPart): string[] => {
    const vars = { src: join(routing.root, dir), obj: join(outDir, dir), kdir };
    return ['-include', autoconf, ...p.dirFlags.flatMap((f) => expandFlag(f, vars))];
  };
  const modules: DirectModule[] = [];
  const builtins: DirectBuiltin[] = [];
  for (const o of routing.objects) {
    if (o.route === 'module') {
      modules.push({
        name: o.name,
        dir: o.dir,
        composite: o.composite,
        objects: o.parts.map((p) => ({ obj: relative(join(routing.root, o.dir), join(routing.root, p.object)), src: join(routing.root, p.source), extraFlags: flagsOf(o.dir, p) })),
      });
    } else if (o.route === 'built-in' || o.route === 'lib') {
      for (const p of o.parts) {
        builtins.push({ obj: p.object, src: join(routing.root, p.source), modname: p.modname, modfile: p.modfile ?? join(o.dir, o.name), extraFlags: flagsOf(o.dir, p) });
      }
    }
  }
  const archives: DirectArchive[] = [];
  const dirs = [...routing.directories].sort((a, b) => (b.dir === '' ? 0 : b.dir.split('/').length) - (a.dir === '' ? 0 : a.dir.split('/').length));
  const inDir = (dir: string, file: string): string => (dir === '' ? file : `${dir}/${file}`);
  for (const d of dirs) {
    const objs = routing.objects.filter((o) => o.dir === d.dir);
    const libs = objs.filter((o) => o.route === 'lib').flatMap((o) => o.parts.map((p) => p.object));
    if (libs.length > 0) archives.push({ archive: inDir(d.dir, 'lib.a'), kind: 'lib', members: libs });
    if (!d.needBuiltin) continue;
    const members = objs.filter((o) => o.route === 'built-in').flatMap((o) => o.parts.map((p) => p.object));
    for (const s of d.subdirs) {
      const child = routing.directories.find((x) => x.dir === s.dir);
      if (s.via === 'obj-y' && child?.needBuiltin) members.push(inDir(s.dir, 'built-in.a'));
    }
    archives.push({ archive: inDir(d.dir, 'built-in.a'), kind: 'builtin', members });
  }
  return { modules, builtins, archives };
}

/** Kbuild's progress verb for a direct-engine step. */
function verbOf(kind: DirectAction['kind'], target: string, moduleParts: Set<string>): string {
  switch (kind) {
    case 'cc': return moduleParts.has(target) ? 'CC [M]' : 'CC';
    case 'ld-multi': case 'ld-ko': return 'LD [M]';
    case 'cc-mod': return 'CC [M]';
    case 'modpost': return 'MODPOST';
    case 'ar': return 'AR';
    default: return kind.toUpperCase();
  }
}

/** Bytes of an object's SHF_ALLOC sections (what loading or linking it adds). */
function allocSize(elf: ElfObject): number {
  return elf.sections.filter((s) => (s.flags & 2) !== 0).reduce((n, s) => n + s.size, 0);
}

/**
 * Build a driver tree for arm64 (by default with the direct engine; `engine: 'make'` through
 * `make -C KDIR M=...`) and verify the results (see the module doc for the steps).
 * @param opts see {@link BuildOptions}
 * @returns the modules (`.ko` path, vermagic, size) and built-in objects (initcall level, size)
 * @throws KbuildError for makefile errors (`file:line:col: ...`); BuildError for compiler errors
 *   (diagnostics in the source tree) and failed verification; SetupMissingError when no
 *   KDIR or cross compiler is available
 */
export async function buildTree(opts: BuildOptions): Promise<BuildResult> {
  const arch = opts.arch ?? 'arm64';
  if (arch !== 'arm64') throw new BuildError(`unsupported --arch ${String(arch)} (only arm64)`);
  const engine = opts.engine ?? 'direct';
  const root = resolve(opts.dir);
  const configFile = resolve(opts.configFile ?? join(root, '.config'));
  if (!existsSync(configFile)) {
    throw new BuildError(`${configFile}: no such .config (pass --config FILE, e.g. one written by \`kbuildts config\`)`);
  }
  const { kdir, kernelRelease } = resolveKdir({ kdir: opts.kdir, arch });
  const { crossCompile } = findToolchain({ arch, crossCompile: opts.crossCompile });
  const config = readDotConfig(configFile);
  const routing = routeTree({ root, config, kernelRelease });
  const emit = opts.onEvent ?? ((): void => {});
  const jobs = opts.jobs ?? availableParallelism();

  const treeDir = join(cacheDir(), 'build', `${basename(root)}-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`);
  const buildDir = resolve(opts.outDir ?? join(treeDir, engine === 'direct' ? `${arch}-direct` : arch));
  const modules = routing.objects.filter((o) => o.route === 'module');
  const builtins = routing.objects.filter((o) => o.route === 'built-in');
  let messages: string[];
  let archives: string[] = [];
  let actions: DirectAction[] = [];
  if (engine === 'direct') {
    ({ messages, archives, actions } = await runDirect({ routing, config, buildDir, kdir, arch, crossCompile, jobs, opts, emit }));
  } else {
    messages = await runViaMake({ routing, config, buildDir, kdir, arch, crossCompile, jobs, opts, emit });
  }

  emit({ type: 'phase', phase: 'verify' });
  const result: BuildResult = { engine, buildDir, kernelRelease, kdir, crossCompile, routing, modules: [], builtins: [], archives, actions, warnings: routing.warnings, messages };
  const problems: string[] = [];
  const producer = engine === 'direct' ? 'the build' : 'Kbuild';
  for (const o of modules) {
    const ko = join(buildDir, o.output);
    if (!existsSync(ko)) {
      problems.push(`${o.output}: ${producer} did not produce it`);
      continue;
    }
    const elf = await readElf(ko);
    const info = splitModinfo(elf.section('.modinfo')?.data ?? Buffer.alloc(0));
    const vermagic = info.find(([k]) => k === 'vermagic')?.[1] ?? '';
    if (vermagic.split(' ')[0] !== kernelRelease) {
      problems.push(`${o.output}: vermagic '${vermagic}' does not match the target kernel release ${kernelRelease}`);
    }
    if (!elf.section('.gnu.linkonce.this_module')) problems.push(`${o.output}: no .gnu.linkonce.this_module section (not linked by modpost)`);
    result.modules.push({ name: basename(o.output, '.ko'), object: o.object, ko, vermagic, modinfo: info, size: allocSize(elf) });
  }
  for (const o of builtins) {
    const parts = o.parts.map((p) => join(buildDir, p.object));
    let section: string | null = null;
    let level: string | null = null;
    let size = 0;
    for (const p of parts) {
      if (!existsSync(p)) {
        problems.push(`${relative(buildDir, p)}: ${producer} did not produce it`);
        continue;
      }
      const elf: ElfObject = await readElf(p);
      size += allocSize(elf);
      const ic = elf.sections.map((s) => /^\.initcall(early|rootfs|[0-7])s?\.init$/.exec(s.name)).find((m) => m);
      if (ic && !section) {
        section = ic[0];
        level = ic[1]!;
      }
      const moduleSyms = elf.symbols.filter((s) => (s.name === 'init_module' || s.name === 'cleanup_module') && s.shndx !== 0);
      if (moduleSyms.length > 0) {
        problems.push(`${o.object}: defines ${moduleSyms.map((s) => s.name).join(', ')}: compiled with -DMODULE although built in`);
      }
    }
    result.builtins.push({ object: o.object, parts, initcallLevel: level, initcallSection: section, archive: o.output, size });
  }
  if (modules.length > 0 && existsSync(join(buildDir, 'Module.symvers'))) result.symvers = join(buildDir, 'Module.symvers');
  if (problems.length > 0) throw new BuildError(`verification failed:\n  ${problems.join('\n  ')}`);
  return result;
}

/** What both engines are given. */
interface EngineArgs {
  routing: Routing;
  config: DotConfig;
  buildDir: string;
  kdir: string;
  arch: string;
  crossCompile: string;
  jobs: number;
  opts: BuildOptions;
  emit: (e: BuildEvent) => void;
}

/** The direct engine: generated autoconf header, {@link directUnitsOf}, {@link buildDirect}. */
async function runDirect(a: EngineArgs): Promise<{ messages: string[]; archives: string[]; actions: DirectAction[] }> {
  const { routing, config, buildDir, emit } = a;
  const autoconf = join(buildDir, '.kbuildts', 'autoconf.h');
  mkdirSync(dirname(autoconf), { recursive: true });
  writeIfChanged(autoconf, autoconfHeader(config));
  const units = directUnitsOf(routing, buildDir, a.kdir, autoconf);
  const moduleParts = new Set(units.modules.flatMap((m) => m.objects.map((o) => join(buildDir, m.dir, o.obj))));
  emit({ type: 'phase', phase: 'modules' });
  try {
    const r = await buildDirect({
      kdir: a.kdir,
      arch: a.arch,
      crossCompile: a.crossCompile,
      outDir: buildDir,
      units,
      jobs: a.jobs,
      ccWrapper: a.opts.ccWrapper,
      cc: a.opts.cc,
      extraSymbols: a.opts.extraSymbols,
      config: { header: autoconf, values: config.values },
      onEvent: (e) => {
        if (e.type === 'plan') emit({ type: 'plan', total: e.total, buildDir });
        else if (e.type === 'step') emit({ type: 'step', verb: verbOf(e.kind, e.target, moduleParts), target: e.target, counted: true, ran: e.ran });
      },
    });
    const messages = [
      ...r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`),
      ...r.modpostWarnings,
    ];
    return { messages, archives: r.archives, actions: r.actions };
  } catch (e) {
    if (e instanceof DirectBuildError) {
      const errors = e.diagnostics.filter((d) => d.severity === 'error');
      const shown = e.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`);
      const head = errors.length > 0 ? `${errors.length} compiler error${errors.length === 1 ? '' : 's'}` : e.message;
      throw new BuildError(shown.length > 0 ? `${shown.join('\n')}\n${head}` : head, e.diagnostics, e.message);
    }
    throw e;
  }
}

/** The make engine (see the module doc, steps 2-4): mirror, generated Kbuild files, make M=. */
async function runViaMake(a: EngineArgs): Promise<string[]> {
  const { routing, config, buildDir, kdir, arch, crossCompile, jobs, opts, emit } = a;
  const root = routing.root;
  const routedDirs = new Set(routing.directories.map((d) => d.dir));
  mirrorSources(root, buildDir, routedDirs);
  const autoconf = join(buildDir, '.kbuildts', 'autoconf.h');
  mkdirSync(join(buildDir, '.kbuildts'), { recursive: true });
  writeIfChanged(autoconf, autoconfHeader(config));
  for (const d of routing.directories) {
    mkdirSync(join(buildDir, d.dir), { recursive: true });
    writeIfChanged(join(buildDir, d.dir, 'Kbuild'), emitKbuild(routing, d.dir, d.dir === '' ? autoconf : null));
  }

  const modules = routing.objects.filter((o) => o.route === 'module');
  const builtins = routing.objects.filter((o) => o.route === 'built-in');
  // Expected steps: each compiled part, each composite link, each .mod.o and .ko.
  const expected = new Set<string>();
  for (const o of modules) {
    for (const p of o.parts) expected.add(join(buildDir, p.object));
    if (o.composite) expected.add(join(buildDir, o.object));
    expected.add(join(buildDir, o.output.replace(/\.ko$/, '.mod.o')));
    expected.add(join(buildDir, o.output));
  }
  for (const o of builtins) for (const p of o.parts) expected.add(join(buildDir, p.object));
  for (const o of routing.objects) if (o.route === 'lib') for (const p of o.parts) expected.add(join(buildDir, p.object));
  emit({ type: 'plan', total: expected.size, buildDir });

  const buildDirRe = new RegExp(`${buildDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/:\\s\\]'"]|$)`, 'g');
  const mapPath = (s: string): string => s.replace(buildDirRe, root);
  const seen = new Set<string>();
  const onLine = (line: string): void => {
    const m = STEP_RE.exec(line);
    if (!m) return;
    const target = m[2]!.startsWith('/') ? m[2]! : join(buildDir, m[2]!);
    const key = target.split(root + '/').join(buildDir + '/');
    const counted = expected.has(key) && !seen.has(key);
    if (counted) seen.add(key);
    emit({ type: 'step', verb: m[1]!, target: m[2]!, counted });
  };
  const common = [`ARCH=${arch}`, `CROSS_COMPILE=${crossCompile}`, `M=${buildDir}`, `-j${jobs}`];
  // A compiler wrapper or replacement goes in as `make CC=...`, which overrides the kernel's CC.
  const words = (v: string | string[] | undefined): string[] => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v ?? []);
  const wrapper = words(opts.ccWrapper);
  let ccWords = words(opts.cc);
  if (wrapper.length > 0 && ccWords.length === 0) ccWords = [(await loadKFlags({ kdir, arch, crossCompile })).cc[0]!];
  if (wrapper.length + ccWords.length > 0) common.push(`CC=${[...wrapper, ...ccWords].join(' ')}`);
  const env: Record<string, string> = { LC_ALL: 'C' };
  if (opts.extraSymbols && opts.extraSymbols.length > 0) {
    env.KBUILD_EXTRA_SYMBOLS = opts.extraSymbols.map((f) => resolve(f)).join(' ');
  }

  const messages: string[] = [];
  if (modules.length > 0) {
    emit({ type: 'phase', phase: 'modules' });
    messages.push(...(await runMake(kdir, [...common, 'modules'], env, mapPath, onLine)));
  }
  // lib-y objects are compiled like built-in ones (they go into lib.a, not built-in.a).
  const libs = routing.objects.filter((o) => o.route === 'lib');
  if (builtins.length + libs.length > 0) {
    emit({ type: 'phase', phase: 'built-in' });
    const targets = [...builtins, ...libs].flatMap((o) => o.parts.map((p) => p.object));
    messages.push(...(await runMake(kdir, [...common, ...targets], env, mapPath, onLine)));
  }
  return messages;
}
