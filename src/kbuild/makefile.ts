/**
 * A reader for the subset of GNU make that Kbuild makefiles of drivers use
 * (Documentation/kbuild/makefiles.rst §3 "The kbuild files"): variable assignments with `:=`,
 * `::=`, `=`, `+=`, `?=`, variable references `$(VAR)`, `${VAR}`, computed names such as
 * `obj-$(CONFIG_FOO)`, substitution references `$(var:.o=.c)`, the conditionals `ifdef`,
 * `ifndef`, `ifeq`, `ifneq` (with `else` and `else if...`), line continuations and comments.
 *
 * Reading happens in two steps, as make itself does it line by line:
 * - {@link parseMakefile} splits the text into logical lines and classifies them into
 *   {@link MakeStatement}s, keeping `file:line:col` for each. Constructs outside the subset
 *   (rules, recipes, `include`, `define`, `export`, make functions such as `$(shell ...)`)
 *   become `unsupported` statements: they are only an error when make would act on them, so the
 *   classic `ifneq ($(KERNELRELEASE),) ... else <rules for the make -C wrapper> endif` makefile
 *   of out-of-tree drivers reads fine.
 * - {@link evaluateMakefile} runs the statements against a starting variable table (the .config
 *   symbols as make sees them from include/config/auto.conf, plus what Kbuild defines such as
 *   KERNELRELEASE, `src`, `obj`) and returns the final variable table.
 *
 * What each Kbuild variable means (obj-y, obj-m, composite lists, ccflags-y...) is not this
 * module's business: src/kbuild/routing.ts interprets the table as scripts/Makefile.lib does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A position in a makefile: 1-based line and column (columns count characters of the line). */
export interface MakeLoc {
  file: string;
  line: number;
  col: number;
}

/**
 * An error in a Kbuild makefile, with its location. `message` is `file:line:col: detail`, as
 * make and the compiler print theirs (`file: detail` when the error concerns a whole file: line 0). `userError` marks it as a fault in the user's input
 * (the CLI exits 1).
 */
export class KbuildError extends Error {
  readonly userError = true;
  constructor(
    public readonly loc: MakeLoc,
    public readonly detail: string,
  ) {
    super(loc.line > 0 ? `${loc.file}:${loc.line}:${loc.col}: ${detail}` : `${loc.file}: ${detail}`);
    this.name = 'KbuildError';
  }
}

/**
 * A piece of text from the makefile with the location of each of its characters, so that an
 * error found while expanding it (e.g. at a `$(shell` ten characters in) points at the right
 * column even across `\` continuation lines.
 */
export interface LocatedText {
  text: string;
  /** `locs[i]` is where `text[i]` came from; `locs[text.length]` is one past the end. */
  locs: MakeLoc[];
}

/** The assignment operators of make: `=` recursive, `:=`/`::=` simple, `+=` append, `?=` conditional. */
export type AssignOp = '=' | ':=' | '::=' | '+=' | '?=';

/** One logical line of a makefile, classified. */
export type MakeStatement =
  | { kind: 'assign'; loc: MakeLoc; name: LocatedText; op: AssignOp; value: LocatedText }
  | { kind: 'ifdef'; loc: MakeLoc; negate: boolean; name: LocatedText; elseBranch: boolean }
  | { kind: 'ifeq'; loc: MakeLoc; negate: boolean; left: LocatedText; right: LocatedText; elseBranch: boolean }
  | { kind: 'else'; loc: MakeLoc }
  | { kind: 'endif'; loc: MakeLoc }
  | { kind: 'unsupported'; loc: MakeLoc; what: string };

/** A parsed makefile: its path (as given) and statements in order. */
export interface ParsedMakefile {
  file: string;
  statements: MakeStatement[];
}

function slice(t: LocatedText, start: number, end = t.text.length): LocatedText {
  return { text: t.text.slice(start, end), locs: t.locs.slice(start, end + 1) };
}

function trim(t: LocatedText): LocatedText {
  let s = 0;
  let e = t.text.length;
  while (s < e && /\s/.test(t.text[s]!)) s++;
  while (e > s && /\s/.test(t.text[e - 1]!)) e--;
  return slice(t, s, e);
}

/**
 * Split makefile text into logical lines the way make reads them: a backslash-newline joins
 * lines (the backslash, the newline and the whitespace around them become one space), `#`
 * starts a comment unless escaped as `\#`. Recipe lines (starting with a tab after a rule) are
 * kept with a flag so the caller can report them.
 */
function logicalLines(text: string, file: string): { line: LocatedText; tab: boolean }[] {
  const phys = text.split(/\r?\n/);
  const out: { line: LocatedText; tab: boolean }[] = [];
  let i = 0;
  while (i < phys.length) {
    const tab = phys[i]!.startsWith('\t');
    let chars = '';
    const locs: MakeLoc[] = [];
    let lineNo = i + 1;
    let cur = phys[i]!;
    let startCol = 0;
    for (;;) {
      // Count trailing backslashes: an odd number means continuation.
      let bs = 0;
      while (bs < cur.length && cur[cur.length - 1 - bs] === '\\') bs++;
      const cont = bs % 2 === 1 && i + 1 < phys.length;
      const body = cont ? cur.slice(0, cur.length - 1) : cur;
      for (let c = startCol; c < body.length; c++) {
        chars += body[c];
        locs.push({ file, line: lineNo, col: c + 1 });
      }
      if (!cont) {
        locs.push({ file, line: lineNo, col: body.length + 1 });
        break;
      }
      // Join: strip trailing whitespace already collected, add one space, skip leading ws.
      while (chars.length > 0 && /[ \t]/.test(chars[chars.length - 1]!)) {
        chars = chars.slice(0, -1);
        locs.pop();
      }
      chars += ' ';
      locs.push({ file, line: lineNo, col: body.length + 1 });
      i++;
      lineNo = i + 1;
      cur = phys[i]!;
      startCol = 0;
      while (startCol < cur.length && /[ \t]/.test(cur[startCol]!)) startCol++;
    }
    i++;
    // Strip the comment: the first # not preceded by a backslash.
    let cut = chars.length;
    for (let c = 0; c < chars.length; c++) {
      if (chars[c] === '#' && (c === 0 || chars[c - 1] !== '\\')) {
        cut = c;
        break;
      }
    }
    let kept = chars.slice(0, cut);
    const keptLocs = locs.slice(0, cut + 1);
    kept = kept.replace(/\\#/g, '#\u0000');
    // Remove the escape backslashes of \# (marked above), keeping locations aligned.
    let finalText = '';
    const finalLocs: MakeLoc[] = [];
    for (let c = 0; c < kept.length; c++) {
      if (kept[c] === '\u0000') continue;
      finalText += kept[c];
      finalLocs.push(keptLocs[Math.min(c, keptLocs.length - 1)]!);
    }
    finalLocs.push(keptLocs[keptLocs.length - 1]!);
    out.push({ line: { text: finalText, locs: finalLocs }, tab });
  }
  return out;
}

/** Index of the first top-level (outside `$(...)`) occurrence of any of `chars`, or -1. */
function findTopLevel(text: string, pred: (s: string, i: number) => number): { at: number; len: number } | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '$' && (text[i + 1] === '(' || text[i + 1] === '{')) {
      depth++;
      i++;
      continue;
    }
    if (depth > 0) {
      if (ch === '(' || ch === '{') depth++;
      else if (ch === ')' || ch === '}') depth--;
      continue;
    }
    const len = pred(text, i);
    if (len > 0) return { at: i, len };
  }
  return null;
}

/** Parse the argument of ifeq/ifneq: `(a,b)`, `"a" "b"`, `'a' 'b'` (and mixed quotes). */
function parseIfeqArgs(arg: LocatedText): { left: LocatedText; right: LocatedText } | null {
  const t = arg.text;
  if (t.startsWith('(')) {
    if (!t.endsWith(')')) return null;
    const inner = slice(arg, 1, t.length - 1);
    const comma = findTopLevel(inner.text, (s, i) => (s[i] === ',' ? 1 : 0));
    if (!comma) return null;
    // make strips leading whitespace of the first and trailing of the second argument only
    // partially; Kbuild makefiles do not rely on the difference, so both are trimmed.
    return { left: trim(slice(inner, 0, comma.at)), right: trim(slice(inner, comma.at + 1)) };
  }
  const m = /^(["'])(.*?)\1\s+(["'])(.*?)\3\s*$/.exec(t);
  if (!m) return null;
  const lStart = 1;
  const lEnd = lStart + m[2]!.length;
  const rStart = t.indexOf(m[3]!, lEnd + 1) + 1;
  return { left: slice(arg, lStart, lEnd), right: slice(arg, rStart, rStart + m[4]!.length) };
}

const DIRECTIVES_UNSUPPORTED = ['include', '-include', 'sinclude', 'define', 'endef', 'export', 'unexport', 'override', 'vpath', 'private', 'undefine', 'load'];

/**
 * Parse a Kbuild makefile's text into statements.
 * @param text the makefile's contents
 * @param file the path used in locations (as the user should see it)
 * @returns the statements in order; never throws for unsupported constructs (see the module doc)
 * @throws KbuildError for malformed conditionals (`ifeq` without a valid argument)
 */
export function parseMakefile(text: string, file: string): ParsedMakefile {
  const statements: MakeStatement[] = [];
  let afterRule = false;
  for (const { line: raw, tab } of logicalLines(text, file)) {
    if (tab && afterRule) {
      if (raw.text.trim() !== '') statements.push({ kind: 'unsupported', loc: raw.locs[0]!, what: 'recipe line (rules are not part of the Kbuild subset)' });
      continue;
    }
    const line = trim(raw);
    if (line.text === '') continue;
    const loc = line.locs[0]!;
    const word = /^[^\s(]+/.exec(line.text)?.[0] ?? '';

    // Conditionals, possibly after `else`.
    let cond = line;
    let elseBranch = false;
    if (word === 'else') {
      const rest = trim(slice(line, 4));
      if (rest.text === '') {
        statements.push({ kind: 'else', loc });
        continue;
      }
      cond = rest;
      elseBranch = true;
    }
    const cword = /^[^\s(]+/.exec(cond.text)?.[0] ?? '';
    if (cword === 'ifdef' || cword === 'ifndef') {
      const name = trim(slice(cond, cword.length));
      if (name.text === '') throw new KbuildError(cond.locs[0]!, `${cword} needs a variable name`);
      statements.push({ kind: 'ifdef', loc: cond.locs[0]!, negate: cword === 'ifndef', name, elseBranch });
      continue;
    }
    if (cword === 'ifeq' || cword === 'ifneq') {
      const arg = trim(slice(cond, cword.length));
      const args = parseIfeqArgs(arg);
      if (!args) throw new KbuildError(arg.locs[0] ?? cond.locs[0]!, `invalid ${cword} argument: expected (a,b) or "a" "b"`);
      statements.push({ kind: 'ifeq', loc: cond.locs[0]!, negate: cword === 'ifneq', ...args, elseBranch });
      continue;
    }
    if (elseBranch) {
      statements.push({ kind: 'unsupported', loc: cond.locs[0]!, what: `'else ${cword}' (only else if(n)eq/if(n)def)` });
      continue;
    }
    if (word === 'endif') {
      statements.push({ kind: 'endif', loc });
      continue;
    }

    // Assignments: the first top-level operator.
    const op = findTopLevel(line.text, (s, i) => {
      if (s.startsWith('::=', i)) return 3;
      if (s.startsWith(':=', i) || s.startsWith('+=', i) || s.startsWith('?=', i)) return 2;
      if (s[i] === '=') return 1;
      if (s[i] === ':') return -1; // rule separator, handled below
      return 0;
    });
    const colon = findTopLevel(line.text, (s, i) => (s[i] === ':' && !s.startsWith(':=', i) && !s.startsWith('::=', i) ? 1 : 0));
    if (op && (!colon || colon.at > op.at)) {
      const name = trim(slice(line, 0, op.at));
      const opText = line.text.slice(op.at, op.at + op.len) as AssignOp;
      const value = trim(slice(line, op.at + op.len));
      // Leading whitespace of the value is dropped by make; trailing is kept for `=` but
      // Kbuild lists are word lists, so trimming is harmless here.
      if (/\s/.test(name.text) || name.text === '') {
        const first = /^\S+/.exec(name.text)?.[0] ?? '';
        if (DIRECTIVES_UNSUPPORTED.includes(first)) {
          statements.push({ kind: 'unsupported', loc, what: `'${first}' directive` });
        } else {
          statements.push({ kind: 'unsupported', loc, what: `assignment to '${name.text}' (a target-specific variable or a name with spaces)` });
        }
        continue;
      }
      statements.push({ kind: 'assign', loc, name, op: opText, value });
      afterRule = false;
      continue;
    }
    if (DIRECTIVES_UNSUPPORTED.includes(word)) {
      statements.push({ kind: 'unsupported', loc, what: `'${word}' directive` });
      continue;
    }
    if (colon) {
      statements.push({ kind: 'unsupported', loc, what: 'rule (targets and recipes are not part of the Kbuild subset)' });
      afterRule = true;
      continue;
    }
    statements.push({ kind: 'unsupported', loc, what: `line '${line.text}' (not an assignment or conditional)` });
  }
  return { file, statements };
}

/** A make variable: its flavor decides whether references in the value expand at use. */
export interface MakeVar {
  flavor: 'simple' | 'recursive';
  value: string;
  /** Where it was assigned (each assignment, in order); empty for variables given by the caller. */
  locs: MakeLoc[];
  /** Value text of each assignment, unexpanded, aligned with `locs` (for pointing at a word). */
  texts: LocatedText[];
}

/** The variable table after reading a makefile. */
export type MakeVars = Map<string, MakeVar>;

/** make's built-in functions: none are supported, each is reported at its `$(`. */
const MAKE_FUNCTIONS = new Set([
  'subst', 'patsubst', 'strip', 'findstring', 'filter', 'filter-out', 'sort', 'word', 'wordlist', 'words',
  'firstword', 'lastword', 'dir', 'notdir', 'suffix', 'basename', 'addsuffix', 'addprefix', 'join', 'wildcard',
  'realpath', 'abspath', 'if', 'or', 'and', 'intcmp', 'foreach', 'file', 'call', 'value', 'eval', 'origin',
  'flavor', 'error', 'warning', 'info', 'shell', 'guile', 'let',
]);

class Expander {
  constructor(private readonly vars: MakeVars) {}

  /** Expand all references in `t` (make's variable expansion). */
  expand(t: LocatedText, depth = 0): string {
    if (depth > 64) throw new KbuildError(t.locs[0]!, 'recursive variable references itself');
    const s = t.text;
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const ch = s[i]!;
      if (ch !== '$') {
        out += ch;
        continue;
      }
      const next = s[i + 1];
      if (next === undefined) break;
      if (next === '$') {
        out += '$';
        i++;
        continue;
      }
      if (next === '(' || next === '{') {
        const close = next === '(' ? ')' : '}';
        let d = 1;
        let j = i + 2;
        for (; j < s.length; j++) {
          const cj = s[j]!;
          if (cj === '(' || cj === '{') d++;
          else if (cj === ')' || cj === '}') {
            d--;
            if (d === 0) break;
          }
        }
        if (j >= s.length || s[j] !== close) throw new KbuildError(t.locs[i]!, `unterminated variable reference '${s.slice(i)}'`);
        const inner = slice(t, i + 2, j);
        const fn = /^([a-z-]+)[\s]/.exec(inner.text);
        if (fn && MAKE_FUNCTIONS.has(fn[1]!)) {
          throw new KbuildError(t.locs[i]!, `unsupported make function $(${fn[1]} ...)`);
        }
        // Substitution reference $(var:a=b)
        const sub = findTopLevel(inner.text, (x, k) => (x[k] === ':' ? 1 : 0));
        if (sub && inner.text.indexOf('=', sub.at) > sub.at) {
          const name = this.expand(slice(inner, 0, sub.at), depth + 1);
          const eq = inner.text.indexOf('=', sub.at);
          const from = this.expand(slice(inner, sub.at + 1, eq), depth + 1);
          const to = this.expand(slice(inner, eq + 1), depth + 1);
          const words = this.valueOf(name, t.locs[i]!, depth).split(/\s+/).filter(Boolean);
          out += words.map((w) => substRef(w, from, to)).join(' ');
        } else {
          const name = this.expand(inner, depth + 1);
          out += this.valueOf(name, t.locs[i]!, depth);
        }
        i = j;
        continue;
      }
      // Single-character variable name ($@, $<, $X).
      out += this.valueOf(next, t.locs[i]!, depth);
      i++;
    }
    return out;
  }

  valueOf(name: string, _loc: MakeLoc, depth: number): string {
    const v = this.vars.get(name);
    if (!v) return '';
    if (v.flavor === 'simple') return v.value;
    // Recursive: expand each assigned text in turn (values given by the caller have no texts).
    if (v.texts.length === 0) return v.value;
    return v.texts.map((t) => this.expand(t, depth + 1)).filter((x) => x !== '').join(' ');
  }
}

/** `$(var:from=to)` on one word, with make's `%` pattern rule (else a suffix replacement). */
function substRef(word: string, from: string, to: string): string {
  if (from.includes('%')) {
    const [pre, post] = [from.slice(0, from.indexOf('%')), from.slice(from.indexOf('%') + 1)];
    if (word.startsWith(pre) && word.endsWith(post) && word.length >= pre.length + post.length) {
      const stem = word.slice(pre.length, word.length - post.length);
      return to.includes('%') ? to.replace('%', stem) : to;
    }
    return word;
  }
  return word.endsWith(from) ? word.slice(0, word.length - from.length) + to : word;
}

/**
 * Report the first make function call (`$(shell ...`, `$(addprefix ...`) in `t`: none are in the
 * subset, and reporting at the assignment (not at a later expansion) points at the line to fix.
 * @throws KbuildError `file:line:col: unsupported make function $(name ...)`
 */
function checkNoFunctions(t: LocatedText): void {
  const re = /\$[({]([a-z-]+)\s/g;
  for (let m = re.exec(t.text); m; m = re.exec(t.text)) {
    if (MAKE_FUNCTIONS.has(m[1]!)) throw new KbuildError(t.locs[m.index]!, `unsupported make function $(${m[1]} ...)`);
  }
}

/**
 * Run parsed statements as make reads a makefile, starting from `initial` variables.
 * @param mf the parsed makefile
 * @param initial variables defined before the makefile is read, name → value (simple flavor):
 *   the .config symbols as auto.conf gives them (`CONFIG_FOO` → `y`, `m`, `"text"`, `0x10`),
 *   `KERNELRELEASE`, and Kbuild's `src`/`obj`
 * @returns the variable table after the last line (includes `initial`)
 * @throws KbuildError `file:line:col: unsupported ...` when a construct outside the subset is in
 *   a branch make would take; for unbalanced `else`/`endif`; for make functions in expansions
 */
export function evaluateMakefile(mf: ParsedMakefile, initial: Record<string, string>): MakeVars {
  const vars: MakeVars = new Map();
  for (const [k, v] of Object.entries(initial)) vars.set(k, { flavor: 'simple', value: v, locs: [], texts: [] });
  const ex = new Expander(vars);
  /** Stack of conditionals: active = this branch is taken; taken = some branch was taken. */
  const stack: { active: boolean; taken: boolean; parentActive: boolean; loc: MakeLoc; sawElse: boolean }[] = [];
  const active = (): boolean => stack.length === 0 || stack[stack.length - 1]!.active;

  const testOf = (st: Extract<MakeStatement, { kind: 'ifdef' | 'ifeq' }>): boolean => {
    if (st.kind === 'ifdef') {
      const name = ex.expand(st.name).trim();
      const v = vars.get(name);
      // ifdef is true when the variable has a non-empty value (not expanded further).
      const defined = v !== undefined && (v.flavor === 'simple' ? v.value !== '' : v.texts.some((t) => t.text.trim() !== '') || v.value !== '');
      return st.negate ? !defined : defined;
    }
    const eq = ex.expand(st.left) === ex.expand(st.right);
    return st.negate ? !eq : eq;
  };

  for (const st of mf.statements) {
    switch (st.kind) {
      case 'ifdef':
      case 'ifeq': {
        if (st.elseBranch) {
          const top = stack[stack.length - 1];
          if (!top) throw new KbuildError(st.loc, "'else' without a matching 'if'");
          if (top.sawElse) throw new KbuildError(st.loc, "only one 'else' per conditional");
          const cond = top.parentActive && !top.taken && testOf(st);
          top.active = cond;
          top.taken ||= cond;
        } else {
          const parentActive = active();
          const cond = parentActive && testOf(st);
          stack.push({ active: cond, taken: cond, parentActive, loc: st.loc, sawElse: false });
        }
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top) throw new KbuildError(st.loc, "'else' without a matching 'if'");
        if (top.sawElse) throw new KbuildError(st.loc, "only one 'else' per conditional");
        top.sawElse = true;
        top.active = top.parentActive && !top.taken;
        top.taken = true;
        break;
      }
      case 'endif':
        if (!stack.pop()) throw new KbuildError(st.loc, "'endif' without a matching 'if'");
        break;
      case 'unsupported':
        if (active()) throw new KbuildError(st.loc, `unsupported ${st.what}`);
        break;
      case 'assign': {
        if (!active()) break;
        checkNoFunctions(st.name);
        checkNoFunctions(st.value);
        const name = ex.expand(st.name).trim();
        if (name === '' || /\s/.test(name)) throw new KbuildError(st.loc, `variable name '${name}' expands to ${name === '' ? 'nothing' : 'several words'}`);
        const old = vars.get(name);
        switch (st.op) {
          case ':=':
          case '::=':
            vars.set(name, { flavor: 'simple', value: ex.expand(st.value), locs: [st.loc], texts: [st.value] });
            break;
          case '=':
            vars.set(name, { flavor: 'recursive', value: '', locs: [st.loc], texts: [st.value] });
            break;
          case '?=':
            if (!old) vars.set(name, { flavor: 'recursive', value: '', locs: [st.loc], texts: [st.value] });
            break;
          case '+=':
            if (!old) {
              vars.set(name, { flavor: 'recursive', value: '', locs: [st.loc], texts: [st.value] });
            } else if (old.flavor === 'simple') {
              const add = ex.expand(st.value);
              old.value = [old.value, add].filter((x) => x !== '').join(' ');
              old.locs.push(st.loc);
              old.texts.push(st.value);
            } else {
              if (old.texts.length === 0 && old.value !== '') {
                old.texts.push({ text: old.value.replace(/\$/g, '$$$$'), locs: Array(old.value.length + 1).fill(st.loc) });
              }
              old.locs.push(st.loc);
              old.texts.push(st.value);
            }
            break;
        }
        break;
      }
    }
  }
  if (stack.length > 0) throw new KbuildError(stack[stack.length - 1]!.loc, "missing 'endif'");
  return vars;
}

/**
 * The expanded value of variable `name` in `vars` as a list of words (make's whitespace
 * splitting), or [] when undefined.
 */
export function words(vars: MakeVars, name: string): string[] {
  const v = vars.get(name);
  if (!v) return [];
  const ex = new Expander(vars);
  return ex.valueOf(name, { file: '', line: 0, col: 0 }, 0).split(/\s+/).filter(Boolean);
}

/**
 * Where `word` was added to variable `name`: the location of the first assignment whose text
 * contains it (searching the unexpanded text), else the first assignment, else undefined.
 */
export function locateWord(vars: MakeVars, name: string, word: string): MakeLoc | undefined {
  const v = vars.get(name);
  if (!v) return undefined;
  for (let k = 0; k < v.texts.length; k++) {
    const t = v.texts[k]!;
    const at = t.text.indexOf(word);
    if (at >= 0) return t.locs[at];
  }
  return v.locs[0];
}

/** The makefile Kbuild reads in directory `dir`: `Kbuild` if present, else `Makefile`, else null. */
export function kbuildFileIn(dir: string): string | null {
  for (const n of ['Kbuild', 'Makefile']) {
    const p = join(dir, n);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Read and parse the Kbuild makefile of `dir` (Kbuild in preference to Makefile, as
 * scripts/Makefile.build does with `kbuild-file`).
 * @param dir absolute directory
 * @param displayPath how to show the file in locations (defaults to the absolute path)
 * @returns the parsed file, or null when the directory has neither file
 */
export function readKbuildMakefile(dir: string, displayPath?: (abs: string) => string): ParsedMakefile | null {
  const file = kbuildFileIn(dir);
  if (!file) return null;
  return parseMakefile(readFileSync(file, 'utf8'), displayPath ? displayPath(file) : file);
}
