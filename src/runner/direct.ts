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
 * scripts/Makefile.lib's `modkern_cflags` does; they take no part in modpost.
 *
 * Incremental: next to each output `<dir>/<name>` sits `<dir>/.<name>.kbt.json` holding the argv
 * that made it and the [mtime, size] of every input (for compiles: the source and every header gcc
 * listed in its -MD dependency file). An output is remade only when it is missing, its argv changed
 * or an input changed; a run in which nothing changed runs no process at all. Outputs are written
 * to a temporary name and renamed into place; the exception is `<mod>.mod.c`, which modpost writes
 * itself (only when its contents change).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
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

/** What to build. */
export interface DirectUnits {
  modules: DirectModule[];
  builtins?: DirectBuiltin[];
}

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
  kind: 'cc' | 'genksyms' | 'ld-multi' | 'modpost' | 'cc-mod' | 'ld-ko';
  /** The output it made (absolute). */
  target: string;
}

/** What {@link buildDirect} did. */
export interface BuildDirectResult {
  /** Each module's `.ko` (absolute), in input order. */
  modules: Array<{ name: string; ko: string }>;
  /** Each built-in object (absolute). */
  builtins: string[];
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

/** Up to date when the output exists, was made by `cmd`, and no recorded input changed. */
function upToDate(out: string, cmd: string[], statCache?: Map<string, [number, number] | null>): boolean {
  if (!existsSync(out)) return false;
  const st = readState(out);
  if (!st || !sameArgv(st.cmd, cmd)) return false;
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

function saveState(out: string, cmd: string[], inputs: string[]): void {
  const rec: OutState = { v: 1, cmd, inputs: [] };
  for (const p of inputs) {
    const s = statOf(p);
    if (s) rec.inputs.push([p, s[0], s[1]]);
  }
  writeAtomic(stateFile(out), JSON.stringify(rec));
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
  if (!src.endsWith('.c')) throw new DirectBuildError(`${src}: only C sources can be built directly (use make M= for .S and others)`);
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
 * Build out-of-tree modules and built-in objects with the kernel's own flags, without make.
 * @returns the outputs and what was run; see {@link BuildDirectResult}.
 * @throws DirectBuildError on a compile error (with located diagnostics), a link error, or a
 *   modpost error (e.g. an undefined symbol); KFlagsError when KDIR cannot be probed.
 */
export async function buildDirect(opts: BuildDirectOptions): Promise<BuildDirectResult> {
  const kf = await loadKFlags({ kdir: opts.kdir, arch: opts.arch, crossCompile: opts.crossCompile });
  const cwd = kf.kdir;
  const jobs = opts.jobs && opts.jobs > 0 ? opts.jobs : availableParallelism();
  const wrapper = typeof opts.ccWrapper === 'string' ? opts.ccWrapper.split(/\s+/).filter(Boolean) : opts.ccWrapper ?? [];
  const outRoot = resolve(opts.outDir);
  const actions: DirectAction[] = [];
  const diagnostics: Diagnostic[] = [];
  const statCache = new Map<string, [number, number] | null>();
  const env = { ...kf.env };

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
      compiles.push({ out, src: cv.src, depfile: cv.depfile, cv, argv: [...wrapper, ...compileArgv(kf, cv)] });
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
    compiles.push({ out, src: cv.src, depfile: cv.depfile, cv, argv: [...wrapper, ...compileArgv(kf, cv)] });
    builtinOuts.push(out);
  }

  // ---- 1. compile (scripts/Makefile.build)
  const compileOne = async (job: CompileJob): Promise<void> => {
    if (upToDate(job.out, job.argv, statCache)) return;
    mkdirSync(dirname(job.out), { recursive: true });
    const tmp = `${job.out}.tmp${process.pid}`;
    const r = await run(job.argv.map((t) => (t === job.out ? tmp : t)));
    const diags = parseDiagnostics(r.stderr, cwd);
    if (r.exitCode !== 0) {
      try { unlinkSync(tmp); } catch { /* not made */ }
      const first = diags.find((d) => d.severity === 'error');
      const where = first ? `${first.file}:${first.line}:${first.col}: error: ${first.message}` : r.stderr.trim();
      throw new DirectBuildError(`compiling ${job.src} failed: ${where}`, diags);
    }
    diagnostics.push(...diags);
    actions.push({ kind: 'cc', target: job.out });
    const deps = parseDepFile(readFileSync(job.depfile, 'utf8'), cwd);
    unlinkSync(job.depfile);
    if (!deps.includes(job.src)) deps.unshift(job.src);

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
    saveState(job.out, job.argv, deps);
  };
  failWith(await pool(compiles, jobs, compileOne));

  // ---- composite links and the <mod>.mod lists
  failWith(await pool(modPlans, jobs, async (p) => {
    const modList = join(p.dir, `${p.mod.name}.mod`);
    writeIfChanged(modList, p.objs.map((o) => `${o}\n`).join(''));
    if (!p.mod.composite) return;
    const argv = expandTemplate(kf.ldMulti, { out: p.modObj, modlist: modList });
    if (upToDate(p.modObj, argv)) return;
    const tmp = `${p.modObj}.tmp${process.pid}`;
    const r = await run(argv.map((t) => (t === p.modObj ? tmp : t)));
    if (r.exitCode !== 0) throw new DirectBuildError(`linking ${p.modObj} failed: ${r.stderr.trim()}`);
    renameSync(tmp, p.modObj);
    saveState(p.modObj, argv, [modList, ...p.objs]);
    actions.push({ kind: 'ld-multi', target: p.modObj });
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
      const tmp = `${symvers}.tmp${process.pid}`;
      const r = await run(argv.map((t) => (t === symvers ? tmp : t)), stdinText);
      const lines = r.stderr.split('\n').filter((l) => l.trim());
      modpostWarnings.push(...lines.filter((l) => /WARNING/.test(l)));
      if (r.exitCode !== 0) {
        try { unlinkSync(tmp); } catch { /* not made */ }
        throw new DirectBuildError(`modpost failed:\n${lines.join('\n')}`);
      }
      renameSync(tmp, symvers);
      saveState(symvers, cmdKey, [kdirSymvers, ...extra, ...objList, ...objList.map((o) => join(dirname(o), `.${basename(o)}.cmd`))]);
      actions.push({ kind: 'modpost', target: symvers });
    }
  }

  // ---- 3. <mod>.mod.o and <mod>.ko (scripts/Makefile.modfinal)
  failWith(await pool(modPlans, jobs, async (p) => {
    const modC = join(p.dir, `${p.mod.name}.mod.c`);
    const modO = join(p.dir, `${p.mod.name}.mod.o`);
    const vars = { out: modO, src: modC, depfile: join(p.dir, `.${p.mod.name}.mod.o.d`), basename: nameFix(`${p.mod.name}.mod`), modname: nameFix(p.mod.name) };
    const ccArgv = [...wrapper, ...expandTemplate(kf.modC, vars)];
    if (!upToDate(modO, ccArgv, statCache)) {
      const tmp = `${modO}.tmp${process.pid}`;
      const r = await run(ccArgv.map((t) => (t === modO ? tmp : t)));
      if (r.exitCode !== 0) throw new DirectBuildError(`compiling ${modC} failed: ${r.stderr.trim()}`, parseDiagnostics(r.stderr, cwd));
      const deps = parseDepFile(readFileSync(vars.depfile, 'utf8'), cwd);
      unlinkSync(vars.depfile);
      renameSync(tmp, modO);
      saveState(modO, ccArgv, deps.includes(modC) ? deps : [modC, ...deps]);
      actions.push({ kind: 'cc-mod', target: modO });
    }
    const ko = join(p.dir, `${p.mod.name}.ko`);
    const ldArgv = expandTemplate(kf.ldKo, { out: ko, obj: p.modObj, modobj: modO });
    if (!upToDate(ko, ldArgv)) {
      const tmp = `${ko}.tmp${process.pid}`;
      const r = await run(ldArgv.map((t) => (t === ko ? tmp : t)));
      if (r.exitCode !== 0) throw new DirectBuildError(`linking ${ko} failed: ${r.stderr.trim()}`);
      renameSync(tmp, ko);
      saveState(ko, ldArgv, [p.modObj, modO]);
      actions.push({ kind: 'ld-ko', target: ko });
    }
  }));

  return {
    modules: modPlans.map((p) => ({ name: p.mod.name, ko: join(p.dir, `${p.mod.name}.ko`) })),
    builtins: builtinOuts,
    symvers,
    actions,
    diagnostics,
    modpostWarnings,
  };
}
