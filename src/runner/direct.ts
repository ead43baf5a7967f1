/**
 * Building out-of-tree kernel objects by driving the toolchain directly, with the kernel's own
 * command lines (from {@link loadKFlags}) instead of `make -C KDIR M=dir modules`.
 *
 * The steps and their order are those of Kbuild for external modules
 * (Documentation/kbuild/modules.rst):
 *  1. scripts/Makefile.build: compile each object (`cmd_cc_o_c` with `c_flags`); for module objects
 *     that export symbols, run genksyms on the preprocessed source and record `#SYMVER name crc`
 *     in the object's `.<obj>.cmd` (CONFIG_MODVERSIONS), and run scripts/check-local-export;
 *     link composite modules (`cmd_ld_multi_m`, `ld -r @<mod>.mod`); write each `<mod>.mod` list.
 *  2. scripts/Makefile.modpost: one KDIR scripts/mod/modpost run over every module object, with
 *     KDIR's Module.symvers and `-i` for each extra symvers file (KBUILD_EXTRA_SYMBOLS); it writes
 *     `<mod>.mod.c` (only when changed) and the tree's Module.symvers.
 *  3. scripts/Makefile.modfinal: compile `<mod>.mod.c`, link `<mod>.ko` with the kernel's module
 *     linker script.
 * Built-in objects (obj-y) are compiled without -DMODULE and with -DKBUILD_MODFILE, as
 * scripts/Makefile.lib's `modkern_cflags` does; they take no part in modpost. They are then
 * archived per directory as scripts/Makefile.build's `cmd_ar_builtin` does
 * (`rm -f built-in.a; $(AR) cDPrST built-in.a $(real-obj-y)`: a thin archive without symbol
 * table, members in link order, a subdirectory's built-in.a standing for its members), and
 * lib-y objects into lib.a with Makefile.lib's `cmd_ar` (`$(AR) cDPrsT`).
 *
 * Incremental: next to each output `<dir>/<name>` sits `<dir>/.<name>.kbt.json` holding the argv
 * that made it and the [mtime, size] of every input (for compiles: the source and every header gcc
 * listed in its -MD dependency file). An output is remade only when it is missing, its argv changed
 * or an input changed; a run in which nothing changed runs no process at all. Outputs are written
 * to a temporary name (the gcc dependency file too) and renamed into place, and the record is
 * written after the output, so a build killed at any point leaves either the old or the new
 * output, and the next run remakes what is not recorded as made; the exception is
 * `<mod>.mod.c`, which modpost writes itself (only when its contents change), and which the next
 * modpost run rewrites because Module.symvers was not recorded.
 *
 * Configuration dependencies follow scripts/basic/fixdep: with {@link BuildDirectOptions.config},
 * the tree's generated autoconf header is not an mtime input of the objects that `-include` it;
 * instead each compile records which CONFIG_ symbols its source and every header it read mention
 * (`CONFIG_FOO_MODULE` counts as `CONFIG_FOO`, symbols the kernel's own autoconf.h defines are left
 * out: the tree cannot change them) with their value at the time, and the object is remade only
 * when one of those values changed. Flipping one tree symbol rebuilds only the objects that use it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import { compileArgv, expandTemplate, loadKFlags, nameFix, type CompileVars } from './kflags.js';
import { readElf } from './elf.js';

/** One object of a module: `obj` relative to the module's dir, compiled from `src`. */
export interface DirectObject {
  /** Object file name relative to the module's `dir`, e.g. "foo.o" or "sub/bar.o". */
  obj: string;
  /** C source (absolute, or relative to the current directory). */
  src: string;
  /** Per-object flags (ccflags-y, CFLAGS_<obj>): placed where Kbuild puts them in c_flags. */
  extraFlags?: string[];
}

/** One loadable module, `<dir>/<name>.ko`. */
export interface DirectModule {
  /** Module name (the `.ko` base name), e.g. "hello" or "my-drv". */
  name: string;
  /** Directory of the module relative to the tree root ("." for the root); outputs go to outDir/dir. */
  dir: string;
  /** Its objects; for a one-file module exactly one, whose obj is `<name>.o`. */
  objects: DirectObject[];
  /** True when `<name>.o` is linked from several objects (Kbuild's `<name>-y := a.o b.o`). */
  composite?: boolean;
}

/** One built-in object (obj-y), compiled as for vmlinux. */
export interface DirectBuiltin {
  /** Object path relative to the tree root, e.g. "drivers/foo/bar.o"; the output is outDir/obj. */
  obj: string;
  /** C source (absolute, or relative to the current directory). */
  src: string;
  /** KBUILD_MODNAME: the module it would be if built as one. */
  modname: string;
  /** KBUILD_MODFILE; default `<dirname(obj)>/<modname>`. */
  modfile?: string;
  extraFlags?: string[];
}

/**
 * One archive: `built-in.a` (obj-y of a directory, Makefile.build `cmd_ar_builtin`) or `lib.a`
 * (lib-y, Makefile.lib `cmd_ar`), made after every compile.
 */
export interface DirectArchive {
  /** Archive path relative to the tree root, e.g. "drivers/foo/built-in.a"; output outDir/archive. */
  archive: string;
  /** `builtin`: thin, no symbol table (`cDPrST`); `lib`: thin with symbol table (`cDPrsT`). */
  kind: 'builtin' | 'lib';
  /**
   * Members in link order, relative to the tree root: objects (DirectBuiltin.obj) and other
   * archives of this list (a subdirectory's built-in.a), which must come earlier in the list.
   */
  members: string[];
}

/** What to build. */
export interface DirectUnits {
  modules: DirectModule[];
  builtins?: DirectBuiltin[];
  /** Archives to make from the built-in objects, children before parents. */
  archives?: DirectArchive[];
}

/** The tree's own configuration, for fixdep-style rebuilds (see the module doc). */
export interface DirectConfig {
  /** The generated autoconf header the per-object flags `-include` (absolute). */
  header: string;
  /** Each set CONFIG_ symbol of the tree's .config and its value (`y`, `m`, a string or number). */
  values: ReadonlyMap<string, string>;
}

/** Progress of {@link buildDirect}: the number of steps, then each step as it finishes. */
export type DirectEvent =
  | { type: 'plan'; total: number }
  | { type: 'start'; kind: DirectAction['kind'] | 'ar'; target: string }
  /** `ran` false: it was up to date. */
  | { type: 'step'; kind: DirectAction['kind'] | 'ar'; target: string; ran: boolean };

/** Options of {@link buildDirect}. */
export interface BuildDirectOptions {
  /** Kernel build tree, as for `make -C KDIR`. */
  kdir: string;
  /** ARCH, e.g. "arm64". */
  arch: string;
  /** CROSS_COMPILE, e.g. "aarch64-linux-gnu-". */
  crossCompile: string;
  /** Output root; created if missing. */
  outDir: string;
  units: DirectUnits;
  /** Parallel processes; default: the number of CPUs. */
  jobs?: number;
  /** Command put in front of the compiler, e.g. "ccache" or ["ccache"]. */
  ccWrapper?: string | string[];
  /**
   * The compiler command replacing the kernel's (`make CC=...`), e.g. "aarch64-linux-gnu-gcc-12"
   * or "distcc aarch64-linux-gnu-gcc"; used for every compile (objects and `.mod.c`).
   */
  cc?: string | string[];
  /** The tree's configuration: enables per-symbol rebuilds (see the module doc). */
  config?: DirectConfig;
  /** Progress callback. */
  onEvent?: (e: DirectEvent) => void;
  /** Other trees' Module.symvers files (KBUILD_EXTRA_SYMBOLS). */
  extraSymbols?: string[];
}

/** A compiler message located in a file. */
export interface Diagnostic {
  /** Absolute path. */
  file: string;
  line: number;
  /** 0 when the compiler gave none. */
  col: number;
  severity: 'error' | 'warning' | 'note';
  message: string;
}

/** One process run (or skipped) by {@link buildDirect}. */
export interface DirectAction {
  kind: 'cc' | 'genksyms' | 'ld-multi' | 'modpost' | 'cc-mod' | 'ld-ko' | 'ar';
  /** The output it made (absolute). */
  target: string;
}

/** What {@link buildDirect} did. */
export interface BuildDirectResult {
  /** Each module's `.ko` (absolute), in input order. */
  modules: Array<{ name: string; ko: string }>;
  /** Each built-in object (absolute). */
  builtins: string[];
  /** Each archive made (absolute), in input order. */
  archives: string[];
  /** The tree's Module.symvers (absolute), or "" when there are no modules. */
  symvers: string;
  /** The processes run, in completion order; empty when nothing changed. */
  actions: DirectAction[];
  /** Warnings and notes from the compiler (errors throw). */
  diagnostics: Diagnostic[];
  /** modpost's warnings, one line each. */
  modpostWarnings: string[];
}

/** Thrown when a compile, link or modpost fails; `diagnostics` holds the located compiler errors. */
export class DirectBuildError extends Error {
  readonly userError = true;
  constructor(message: string, readonly diagnostics: Diagnostic[] = []) {
    super(message);
    this.name = 'DirectBuildError';
  }
}

/** Per-output state (the `.kbt.json` next to each output). */
interface OutState {
  v: 1;
  cmd: string[];
  /** [path, mtimeMs, size] of every input. */
  inputs: Array<[string, number, number]>;
  /** [CONFIG_ symbol, value or null when unset] of every tree symbol the inputs mention. */
  config?: Array<[string, string | null]>;
}

/**
 * Parse gcc's messages (`file:line:col: error: text`) into diagnostics; relative paths are taken
 * relative to `cwd` (KDIR, where the compiler runs).
 */
export function parseDiagnostics(stderr: string, cwd: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*)$/.exec(line);
    if (!m) continue;
    out.push({
      file: isAbsolute(m[1]!) ? m[1]! : resolve(cwd, m[1]!),
      line: Number(m[2]),
      col: m[3] ? Number(m[3]) : 0,
      severity: m[4] === 'fatal error' ? 'error' : (m[4] as Diagnostic['severity']),
      message: m[5]!,
    });
  }
  return out;
}

/** Parse a make-style dependency file (gcc -MD) into the prerequisite paths, absolute. */
export function parseDepFile(text: string, cwd: string): string[] {
  const body = text.replace(/\\\n/g, ' ');
  const out = new Set<string>();
  for (const line of body.split('\n')) {
    const i = line.indexOf(': ');
    if (i < 0) continue;
    for (const w of line.slice(i + 2).split(/\s+/)) {
      if (w) out.add(isAbsolute(w) ? w : resolve(cwd, w));
    }
  }
  return [...out];
}

function statOf(path: string): [number, number] | null {
  try {
    const s = statSync(path);
    return [s.mtimeMs, s.size];
  } catch {
    return null;
  }
}

function stateFile(out: string): string {
  return join(dirname(out), `.${basename(out)}.kbt.json`);
}

function readState(out: string): OutState | null {
  try {
    const s = JSON.parse(readFileSync(stateFile(out), 'utf8')) as OutState;
    return s.v === 1 ? s : null;
  } catch {
    return null;
  }
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Up to date when the output exists, was made by `cmd`, no recorded input changed and no
 * recorded CONFIG_ symbol has another value in `config`.
 */
function upToDate(out: string, cmd: string[], statCache?: Map<string, [number, number] | null>, config?: DirectConfig): boolean {
  if (!existsSync(out)) return false;
  const st = readState(out);
  if (!st || !sameArgv(st.cmd, cmd)) return false;
  if (st.config) {
    if (!config) return false;
    for (const [sym, val] of st.config) if ((config.values.get(sym) ?? null) !== val) return false;
  }
  for (const [p, mt, sz] of st.inputs) {
    let cur = statCache?.get(p);
    if (cur === undefined) {
      cur = statOf(p);
      statCache?.set(p, cur);
    }
    if (!cur || cur[0] !== mt || cur[1] !== sz) return false;
  }
  return true;
}

/** Write a file atomically (temp + rename). */
function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Write only when the contents differ (keeps mtimes stable for the incremental checks). */
function writeIfChanged(path: string, data: string): void {
  try {
    if (readFileSync(path, 'utf8') === data) return;
  } catch {
    /* missing */
  }
  writeAtomic(path, data);
}

function saveState(out: string, cmd: string[], inputs: string[], config?: Array<[string, string | null]>): void {
  const rec: OutState = { v: 1, cmd, inputs: [] };
  if (config) rec.config = config;
  for (const p of inputs) {
    const s = statOf(p);
    if (s) rec.inputs.push([p, s[0], s[1]]);
  }
  writeAtomic(stateFile(out), JSON.stringify(rec));
}

const CONFIG_RE = /\bCONFIG_[A-Za-z0-9_]+/g;

/** The CONFIG_ symbols a file mentions (scripts/basic/fixdep: `_MODULE` folded onto the symbol). */
function configMentions(file: string, memo: Map<string, string[]>): string[] {
  let r = memo.get(file);
  if (r) return r;
  const set = new Set<string>();
  let text = '';
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    /* vanished: its mtime check catches it */
  }
  for (const m of text.matchAll(CONFIG_RE)) set.add(m[0].endsWith('_MODULE') ? m[0].slice(0, -7) : m[0]);
  r = [...set];
  memo.set(file, r);
  return r;
}

/** The CONFIG_ symbols the kernel's include/generated/autoconf.h defines (`_MODULE` folded). */
function kernelConfigSymbols(kdir: string): Set<string> {
  const out = new Set<string>();
  let text = '';
  try {
    text = readFileSync(join(kdir, 'include/generated/autoconf.h'), 'utf8');
  } catch {
    return out;
  }
  for (const m of text.matchAll(/^#define (CONFIG_[A-Za-z0-9_]+)/gm)) out.add(m[1]!.endsWith('_MODULE') ? m[1]!.slice(0, -7) : m[1]!);
  return out;
}

/** Run async tasks with at most `n` in flight; every task runs even when some fail. */
async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return errors;
}

function failWith(errors: unknown[]): void {
  if (errors.length === 0) return;
  if (errors.length === 1) throw errors[0];
  const diags = errors.flatMap((e) => (e instanceof DirectBuildError ? e.diagnostics : []));
  throw new DirectBuildError(errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n'), diags);
}

/** Only C sources are compiled directly (assembly would need Kbuild's a_flags: not read yet). */
function checkSource(src: string): void {
  if (!src.endsWith('.c')) throw new DirectBuildError(`${src}: only C sources can be built directly (build through Kbuild for .S and others: kbuildts build --via-make)`);
}

/** One compile job, planned. */
interface CompileJob {
  out: string;
  src: string;
  depfile: string;
  argv: string[];
  cv: CompileVars;
}

/**
 * Build out-of-tree modules, built-in objects and their archives with the kernel's own flags,
 * without make.
 * @returns the outputs and what was run; see {@link BuildDirectResult}.
 * @throws DirectBuildError on a compile error (with located diagnostics), a link error, or a
 *   modpost error (e.g. an undefined symbol); KFlagsError when KDIR cannot be probed.
 */
export async function buildDirect(opts: BuildDirectOptions): Promise<BuildDirectResult> {
  const kf = await loadKFlags({ kdir: opts.kdir, arch: opts.arch, crossCompile: opts.crossCompile });
  const cwd = kf.kdir;
  const jobs = opts.jobs && opts.jobs > 0 ? opts.jobs : availableParallelism();
  const words = (v: string | string[] | undefined): string[] => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v ?? []);
  const wrapper = words(opts.ccWrapper);
  const ccOverride = words(opts.cc);
  /** The compiler command in front of a compile template's arguments (wrapper, CC=). */
  const withCc = (argv: string[]): string[] => [...wrapper, ...(ccOverride.length > 0 ? ccOverride : [argv[0]!]), ...argv.slice(1)];
  const outRoot = resolve(opts.outDir);
  const actions: DirectAction[] = [];
  const diagnostics: Diagnostic[] = [];
  const statCache = new Map<string, [number, number] | null>();
  const env = { ...kf.env };
  const emit = opts.onEvent ?? ((): void => {});
  const config = opts.config;
  const mentionMemo = new Map<string, string[]>();
  const kernelSyms = config ? kernelConfigSymbols(cwd) : new Set<string>();
  const done = (kind: DirectAction['kind'], target: string, ran: boolean): void => {
    if (ran) actions.push({ kind, target });
    emit({ type: 'step', kind, target, ran });
  };

  const run = async (argv: string[], input?: string): Promise<{ stdout: string; stderr: string; exitCode: number }> => {
    const r = await execa(argv[0]!, argv.slice(1), { cwd, env, reject: false, input, stripFinalNewline: false });
    if (r.failed && r.exitCode === undefined) throw new DirectBuildError(`${argv[0]}: ${r.message}`);
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 };
  };

  // ---- plan the compiles
  const compiles: CompileJob[] = [];
  const modPlans: Array<{ mod: DirectModule; dir: string; objs: string[]; modObj: string }> = [];
  const seen = new Map<string, string>();
  for (const mod of opts.units.modules) {
    // scripts/modules-check.sh: two modules of one name would overwrite each other when installed.
    const prev = seen.get(mod.name);
    if (prev !== undefined) throw new DirectBuildError(`module ${mod.name} is built twice (in ${prev} and ${mod.dir})`);
    seen.set(mod.name, mod.dir);
    const dir = join(outRoot, mod.dir);
    if (!mod.composite && (mod.objects.length !== 1 || mod.objects[0]!.obj !== `${mod.name}.o`)) {
      throw new DirectBuildError(`module ${mod.name}: a one-file module needs exactly one object named ${mod.name}.o (set composite for more)`);
    }
    const objs: string[] = [];
    for (const o of mod.objects) {
      checkSource(o.src);
      const out = join(dir, o.obj);
      const cv: CompileVars = { kind: 'module', out, src: resolve(o.src), depfile: join(dirname(out), `.${basename(out)}.d`), modname: mod.name, extra: o.extraFlags ?? [] };
      compiles.push({ out, src: cv.src, depfile: cv.depfile, cv, argv: withCc(compileArgv(kf, cv)) });
      objs.push(out);
    }
    modPlans.push({ mod, dir, objs, modObj: join(dir, `${mod.name}.o`) });
  }
  const builtinOuts: string[] = [];
  for (const b of opts.units.builtins ?? []) {
    checkSource(b.src);
    const out = join(outRoot, b.obj);
    const cv: CompileVars = {
      kind: 'builtin', out, src: resolve(b.src), depfile: join(dirname(out), `.${basename(out)}.d`),
      modname: b.modname, modfile: b.modfile ?? join(dirname(b.obj), b.modname), extra: b.extraFlags ?? [],
    };
    compiles.push({ out, src: cv.src, depfile: cv.depfile, cv, argv: withCc(compileArgv(kf, cv)) });
    builtinOuts.push(out);
  }
  const archives = opts.units.archives ?? [];
  const composites = modPlans.filter((p) => p.mod.composite).length;
  emit({ type: 'plan', total: compiles.length + composites + archives.length + (modPlans.length > 0 ? 1 + 2 * modPlans.length : 0) });

  /** Run `argv` writing `out` under a temporary name, then rename it into place. */
  const runTo = async (argv: string[], out: string): Promise<{ stderr: string; exitCode: number; tmp: string }> => {
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.tmp${process.pid}`;
    const r = await run(argv.map((t) => (t === out ? tmp : t)));
    if (r.exitCode !== 0) rmSync(tmp, { force: true });
    return { stderr: r.stderr, exitCode: r.exitCode, tmp };
  };

  // ---- 1. compile (scripts/Makefile.build)
  const compileOne = async (job: CompileJob): Promise<void> => {
    if (upToDate(job.out, job.argv, statCache, config)) return done('cc', job.out, false);
    emit({ type: 'start', kind: 'cc', target: job.out });
    mkdirSync(dirname(job.out), { recursive: true });
    const tmp = `${job.out}.tmp${process.pid}`;
    const tmpDep = `${job.depfile}.tmp${process.pid}`;
    const mmd = `-Wp,-MMD,${job.depfile}`;
    const r = await run(job.argv.map((t) => (t === job.out ? tmp : t === mmd ? `-Wp,-MMD,${tmpDep}` : t)));
    const diags = parseDiagnostics(r.stderr, cwd);
    if (r.exitCode !== 0) {
      rmSync(tmp, { force: true });
      rmSync(tmpDep, { force: true });
      const first = diags.find((d) => d.severity === 'error');
      const where = first ? `${first.file}:${first.line}:${first.col}: error: ${first.message}` : r.stderr.trim();
      throw new DirectBuildError(`compiling ${job.src} failed: ${where}`, diags);
    }
    diagnostics.push(...diags);
    let deps = parseDepFile(readFileSync(tmpDep, 'utf8'), cwd);
    unlinkSync(tmpDep);
    if (!deps.includes(job.src)) deps.unshift(job.src);
    // fixdep: the tree's autoconf header is replaced by the symbols the inputs mention.
    let cfgRec: Array<[string, string | null]> | undefined;
    if (config) {
      deps = deps.filter((d) => d !== config.header);
      const syms = new Set<string>();
      for (const d of deps) for (const s of configMentions(d, mentionMemo)) if (!kernelSyms.has(s)) syms.add(s);
      cfgRec = [...syms].sort().map((s) => [s, config.values.get(s) ?? null]);
    }

    // CONFIG_MODVERSIONS: CRCs of the symbols a module object exports (gen_symversions).
    let symverLines = '';
    if (job.cv.kind === 'module') {
      // Kbuild: `$(NM) $@ | grep -q __ksymtab`; the byte scan only saves parsing objects that export nothing.
      const exports = readFileSync(tmp).includes('__ksymtab') && (await readElf(tmp)).symbols.some((s) => s.name.includes('__ksymtab'));
      if (exports) {
        const cpp = await run(expandTemplate(kf.cppGenksyms, {
          src: job.src, basename: nameFix(basename(job.out).replace(/\.o$/, '')), modname: nameFix(job.cv.modname),
        }, { extra: job.cv.extra ?? [], kind: kf.ccModuleFlags }));
        if (cpp.exitCode !== 0) throw new DirectBuildError(`preprocessing ${job.src} for genksyms failed: ${cpp.stderr.trim()}`);
        const g = await run(kf.genksyms, cpp.stdout);
        if (g.exitCode !== 0) throw new DirectBuildError(`genksyms on ${job.src} failed: ${g.stderr.trim()}`);
        symverLines = g.stdout;
        actions.push({ kind: 'genksyms', target: job.out });
        if (kf.checkLocalExport.length) {
          const c = await run(expandTemplate(kf.checkLocalExport, { out: tmp }));
          if (c.exitCode !== 0) {
            throw new DirectBuildError(`${job.src}: ${c.stderr.trim().split(tmp).join(job.out)}`);
          }
        }
      }
    }
    // The .cmd file as Kbuild writes it: modpost reads the #SYMVER lines from it.
    writeAtomic(join(dirname(job.out), `.${basename(job.out)}.cmd`), `cmd_${job.out} := ${job.argv.join(' ')}\n${symverLines}`);
    renameSync(tmp, job.out);
    for (const d of deps) statCache.delete(d);
    statCache.delete(job.out);
    saveState(job.out, job.argv, deps, cfgRec);
    done('cc', job.out, true);
  };
  failWith(await pool(compiles, jobs, compileOne));

  // ---- built-in.a and lib.a (scripts/Makefile.build cmd_ar_builtin, Makefile.lib cmd_ar)
  const ar = `${opts.crossCompile}ar`;
  const archiveOuts: string[] = [];
  for (const a of archives) {
    const out = join(outRoot, a.archive);
    const members = a.members.map((m) => join(outRoot, m));
    const argv = [ar, a.kind === 'builtin' ? 'cDPrST' : 'cDPrsT', out, ...members];
    archiveOuts.push(out);
    if (upToDate(out, argv, statCache)) {
      done('ar', out, false);
      continue;
    }
    // `rm -f $@` first: ar r would otherwise keep members that are gone.
    rmSync(out, { force: true });
    const r = await runTo(argv, out);
    if (r.exitCode !== 0) throw new DirectBuildError(`archiving ${out} failed: ${r.stderr.trim()}`);
    renameSync(r.tmp, out);
    statCache.delete(out);
    saveState(out, argv, members);
    done('ar', out, true);
  }

  // ---- composite links and the <mod>.mod lists
  failWith(await pool(modPlans, jobs, async (p) => {
    const modList = join(p.dir, `${p.mod.name}.mod`);
    writeIfChanged(modList, p.objs.map((o) => `${o}\n`).join(''));
    if (!p.mod.composite) return;
    const argv = expandTemplate(kf.ldMulti, { out: p.modObj, modlist: modList });
    if (upToDate(p.modObj, argv)) return done('ld-multi', p.modObj, false);
    emit({ type: 'start', kind: 'ld-multi', target: p.modObj });
    const r = await runTo(argv, p.modObj);
    if (r.exitCode !== 0) throw new DirectBuildError(`linking ${p.modObj} failed: ${r.stderr.trim()}`);
    renameSync(r.tmp, p.modObj);
    saveState(p.modObj, argv, [modList, ...p.objs]);
    done('ld-multi', p.modObj, true);
  }));

  // ---- 2. modpost (scripts/Makefile.modpost, external-module mode)
  const modpostWarnings: string[] = [];
  let symvers = '';
  if (modPlans.length > 0) {
    symvers = join(outRoot, 'Module.symvers');
    const extra = (opts.extraSymbols ?? []).map((f) => resolve(f));
    const argv = expandTemplate(kf.modpost, { symvers }, { extra_symbols: extra.flatMap((f) => ['-i', f]) });
    const objList = modPlans.map((p) => p.modObj);
    const stdinText = objList.map((o) => `${o}\n`).join('');
    const cmdKey = [...argv, '<', ...objList];
    const kdirSymvers = resolve(cwd, 'Module.symvers');
    const modCs = modPlans.map((p) => join(p.dir, `${p.mod.name}.mod.c`));
    if (!upToDate(symvers, cmdKey) || modCs.some((f) => !existsSync(f))) {
      emit({ type: 'start', kind: 'modpost', target: symvers });
      const tmp = `${symvers}.tmp${process.pid}`;
      const r = await run(argv.map((t) => (t === symvers ? tmp : t)), stdinText);
      const lines = r.stderr.split('\n').filter((l) => l.trim());
      modpostWarnings.push(...lines.filter((l) => /WARNING/.test(l)));
      if (r.exitCode !== 0) {
        rmSync(tmp, { force: true });
        throw new DirectBuildError(`modpost failed:\n${lines.join('\n')}`);
      }
      renameSync(tmp, symvers);
      for (const f of modCs) statCache.delete(f);
      saveState(symvers, cmdKey, [kdirSymvers, ...extra, ...objList, ...objList.map((o) => join(dirname(o), `.${basename(o)}.cmd`))]);
      done('modpost', symvers, true);
    } else done('modpost', symvers, false);
  }

  // ---- 3. <mod>.mod.o and <mod>.ko (scripts/Makefile.modfinal)
  failWith(await pool(modPlans, jobs, async (p) => {
    const modC = join(p.dir, `${p.mod.name}.mod.c`);
    const modO = join(p.dir, `${p.mod.name}.mod.o`);
    const vars = { out: modO, src: modC, depfile: join(p.dir, `.${p.mod.name}.mod.o.d`), basename: nameFix(`${p.mod.name}.mod`), modname: nameFix(p.mod.name) };
    const ccArgv = withCc(expandTemplate(kf.modC, vars));
    if (!upToDate(modO, ccArgv, statCache)) {
      emit({ type: 'start', kind: 'cc-mod', target: modO });
      const tmpDep = `${vars.depfile}.tmp${process.pid}`;
      const mmd = `-Wp,-MMD,${vars.depfile}`;
      const r = await runTo(ccArgv.map((t) => (t === mmd ? `-Wp,-MMD,${tmpDep}` : t)), modO);
      if (r.exitCode !== 0) {
        rmSync(tmpDep, { force: true });
        throw new DirectBuildError(`compiling ${modC} failed: ${r.stderr.trim()}`, parseDiagnostics(r.stderr, cwd));
      }
      const deps = parseDepFile(readFileSync(tmpDep, 'utf8'), cwd);
      unlinkSync(tmpDep);
      renameSync(r.tmp, modO);
      saveState(modO, ccArgv, deps.includes(modC) ? deps : [modC, ...deps]);
      done('cc-mod', modO, true);
    } else done('cc-mod', modO, false);
    const ko = join(p.dir, `${p.mod.name}.ko`);
    const ldArgv = expandTemplate(kf.ldKo, { out: ko, obj: p.modObj, modobj: modO });
    if (!upToDate(ko, ldArgv)) {
      emit({ type: 'start', kind: 'ld-ko', target: ko });
      const r = await runTo(ldArgv, ko);
      if (r.exitCode !== 0) throw new DirectBuildError(`linking ${ko} failed: ${r.stderr.trim()}`);
      renameSync(r.tmp, ko);
      saveState(ko, ldArgv, [p.modObj, modO]);
      done('ld-ko', ko, true);
    } else done('ld-ko', ko, false);
  }));

  return {
    modules: modPlans.map((p) => ({ name: p.mod.name, ko: join(p.dir, `${p.mod.name}.ko`) })),
    builtins: builtinOuts,
    archives: archiveOuts,
    symvers,
    actions,
    diagnostics,
    modpostWarnings,
  };
}
