/**
 * The Kconfig macro language (Documentation/kbuild/kconfig-macro-language.rst), following
 * scripts/kconfig/preprocess.c of Linux 6.1, and the token step of lexer.l that applies it.
 *
 * - Variables: `=` (recursive: expanded at each use, may take $(1).. arguments, i.e. user
 *   functions), `:=` (simple: expanded once at assignment), `+=` (appends with one space,
 *   keeping the existing flavour; recursive for a new variable).
 * - `$(NAME)` with no arguments falls back to the environment; every environment variable read
 *   is recorded once, in first-use order, with the value seen (env_add(); these become the
 *   `ifneq "$(VAR)" "value"` lines of include/config/auto.conf.cmd).
 * - Built-in functions: shell (run with /bin/sh in the Kconfig environment: at most 4,095 bytes
 *   kept, trailing newlines removed, other newlines become spaces), info, warning-if, error-if,
 *   filename, lineno.
 * - Lookup order for `$(name,args)`: user variable, then built-in function, then (no arguments)
 *   environment, else "". `$` not followed by `(` is a literal `$`.
 *
 * Where lexer.l expands: in words that contain `$` (the expansion is one T_WORD, not re-lexed;
 * an empty expansion is no token at all), inside quoted strings, and in `:=` right-hand sides.
 * {@link tokenizeLine} performs that step for one logical line and writes the canonical token
 * text that the line grammar (grammar/kconfig.ohm) parses.
 */
import { spawnSync } from 'node:child_process';
import { KconfigError } from './model.js';
import { KEYWORDS, positionOf, type StmtLine } from './lexer.js';

/** Runs one `$(shell,cmd)` probe: returns its raw stdout (before newline processing). */
export type RunShell = (cmd: string, env: Record<string, string>) => string;

/** The default `$(shell)` runner: `/bin/sh -c cmd` with `env`, stdin from /dev/null, stderr passed through. */
export const defaultRunShell: RunShell = (cmd, env) => {
  const r = spawnSync('/bin/sh', ['-c', cmd], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return r.stdout ? r.stdout.toString('latin1') : ''; // bytes, as do_shell's fread() sees them
};

/** Variable flavours of preprocess.c `enum variable_flavor`. */
export type VariableFlavor = 'recursive' | 'simple' | 'append';

interface Variable {
  value: string;
  flavor: 'recursive' | 'simple';
  expCount: number;
}

/**
 * Where messages of the macro language go (`$(info)` to stdout, `$(warning-if)` to stderr):
 * a function of (stream, text), or an object with stdout(text) and stderr(text) methods.
 * Each text is one whole line, newline included.
 */
export type MessageSink =
  | ((stream: 'stdout' | 'stderr', text: string) => void)
  | { stdout(text: string): void; stderr(text: string): void };

/** A {@link MessageSink} as one function; no sink: the process's own stdout and stderr. */
export function sinkFunction(sink?: MessageSink): (stream: 'stdout' | 'stderr', text: string) => void {
  if (typeof sink === 'function') return sink;
  if (sink) return (s, t) => (s === 'stdout' ? sink.stdout(t) : sink.stderr(t));
  return (s, t) => void (s === 'stdout' ? process.stdout : process.stderr).write(t);
}

const FUNCTION_MAX_ARGS = 16;

/** The built-in function table of preprocess.c: name -> [min args, max args]. */
const FUNCTIONS: Record<string, [number, number]> = {
  'error-if': [2, 2],
  filename: [0, 0],
  info: [1, 1],
  lineno: [0, 0],
  shell: [1, 1],
  'warning-if': [2, 2],
};

/**
 * The state of the macro language during one parse (preprocess.c's variable_list and env_list).
 */
export class Preprocessor {
  private readonly vars = new Map<string, Variable>();
  /** Environment variables referenced, in first-use order, with the value seen (env_list). */
  readonly envUsed = new Map<string, string>();
  /**
   * Names looked up as environment variables and not found (expanded to ""): not part of C's
   * env_list, but a later run in which one of them is set parses differently (frontend-cache.ts).
   */
  readonly envMissing = new Set<string>();
  /** Number of `$(shell,...)` commands run (including those answered by a custom runShell). */
  shellCount = 0;
  /** The commands run, in order (for recording probes). */
  readonly shellCommands: string[] = [];
  /** current_file->name and yylineno, for $(filename), $(lineno) and messages. */
  file = '';
  lineno = 0;
  /** Column used in error locations (the token being expanded). */
  col = 1;

  /**
   * @param env the environment conf runs in (the Kconfig environment record)
   * @param runShell how `$(shell,cmd)` runs (inject a cache of probe answers here)
   * @param sink where `$(info)`/`$(warning-if)` text goes
   */
  private readonly sink: (stream: 'stdout' | 'stderr', text: string) => void;

  constructor(
    private readonly env: Record<string, string>,
    private readonly runShell: RunShell = defaultRunShell,
    sink?: MessageSink,
  ) {
    this.sink = sinkFunction(sink);
  }

  /** pperror(): `file:line:col: message`. */
  private error(msg: string): never {
    throw new KconfigError(this.file, this.lineno, this.col, msg);
  }

  /**
   * variable_add() of preprocess.c: define or extend a variable.
   * @param flavor 'recursive' for `=`, 'simple' for `:=`, 'append' for `+=`
   * @throws KconfigError from expanding a `:=` value
   */
  variableAdd(name: string, value: string, flavor: VariableFlavor): void {
    let v = this.vars.get(name);
    let append = false;
    let fl: 'recursive' | 'simple';
    if (v) {
      if (flavor === 'append') {
        fl = v.flavor;
        append = true;
      } else fl = flavor;
    } else {
      fl = flavor === 'append' ? 'recursive' : flavor;
      v = { value: '', flavor: fl, expCount: 0 };
      this.vars.set(name, v);
    }
    v.flavor = fl;
    const newValue = fl === 'simple' ? this.expandString(value, null) : value;
    v.value = append ? `${v.value} ${newValue}` : newValue;
  }

  /** variable_all_del(): conf_parse() drops the variables once parsing is done. */
  clearVariables(): void {
    this.vars.clear();
  }

  /**
   * expand_string(): expand every reference in `s`.
   * @param args arguments of the enclosing user-function call ($(1)..), or null
   */
  expandString(s: string, args: string[] | null): string {
    return this.expand(s, 0, args, false).out;
  }

  /**
   * expand_one_token(): expand from `start` up to the first character that is not
   * [A-Za-z0-9_-] outside a reference.
   * @returns the expansion and the index where the token ended
   */
  expandOneToken(s: string, start: number): { out: string; end: number } {
    return this.expand(s, start, null, true);
  }

  /**
   * expand_dollar(): `s[start]` is the character after a `$`.
   * @returns the expansion and the index after the reference
   */
  expandDollar(s: string, start: number, args: string[] | null): { out: string; end: number } {
    if (s.charCodeAt(start) !== 40 /* ( */) return { out: '$', end: start };
    let nest = 0;
    let q = start + 1;
    for (; q < s.length; q++) {
      const c = s.charCodeAt(q);
      if (c === 40) nest++;
      else if (c === 41) {
        if (nest-- === 0) break;
      }
    }
    if (q >= s.length) this.error(`unterminated reference to '${s.slice(start + 1)}': missing ')'`);
    return { out: this.evalClause(s.slice(start + 1, q), args), end: q + 1 };
  }

  private expand(s: string, start: number, args: string[] | null, token: boolean): { out: string; end: number } {
    let out = '';
    let p = start;
    let from = start;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 36 /* $ */) {
        out += s.slice(from, p);
        const r = this.expandDollar(s, p + 1, args);
        out += r.out;
        p = from = r.end;
        continue;
      }
      if (p >= s.length) break;
      if (token && !isTokenCh(c)) break;
      p++;
    }
    return { out: out + s.slice(from, p), end: p };
  }

  private depth = 0;

  /**
   * eval_clause(): `name,arg1,arg2` (already stripped of `$(` and `)`). C stops a variable
   * nested more than 1,000 deep; a JavaScript stack that runs out first (deeply nested
   * arguments) is reported with the same words.
   */
  private evalClause(str: string, args: string[] | null): string {
    if (this.depth > 0) return this.evalClauseInner(str, args);
    this.depth++;
    try {
      return this.evalClauseInner(str, args);
    } catch (e) {
      if (e instanceof RangeError) this.error('Too deep recursive expansion');
      throw e;
    } finally {
      this.depth--;
    }
  }

  private evalClauseInner(str: string, args: string[] | null): string {
    const argc = args ? args.length : 0;
    if (argc > 0) {
      const m = /^[ \t\n\v\f\r]*\+?([0-9]+)$/.exec(str);
      if (m) {
        const n = Number(m[1]);
        if (n > 0 && n <= argc) return args![n - 1];
      }
    }
    const parts: string[] = [];
    let nest = 0;
    let prev = 0;
    for (let p = 0; p < str.length; p++) {
      const c = str.charCodeAt(p);
      if (nest === 0 && c === 44 /* , */) {
        if (parts.length >= FUNCTION_MAX_ARGS) this.error('too many function arguments');
        parts.push(str.slice(prev, p));
        prev = p + 1;
      } else if (c === 40) nest++;
      else if (c === 41) nest--;
    }
    if (parts.length >= FUNCTION_MAX_ARGS) this.error('too many function arguments');
    parts.push(str.slice(prev));

    const name = this.expandString(parts[0], args);
    const newArgs: string[] = [];
    for (let i = 1; i < parts.length; i++) newArgs.push(this.expandString(parts[i], args));

    const v = this.vars.get(name);
    if (v) {
      if (newArgs.length === 0 && v.expCount) this.error(`Recursive variable '${name}' references itself (eventually)`);
      if (v.expCount > 1000) this.error('Too deep recursive expansion');
      v.expCount++;
      try {
        return v.flavor === 'recursive' ? this.expandString(v.value, newArgs) : v.value;
      } finally {
        v.expCount--;
      }
    }
    const f = FUNCTIONS[name];
    if (f) {
      if (newArgs.length < f[0]) this.error(`too few function arguments passed to '${name}'`);
      if (newArgs.length > f[1]) this.error(`too many function arguments passed to '${name}'`);
      return this.callFunction(name, newArgs);
    }
    if (newArgs.length === 0 && name !== '') {
      const seen = this.envUsed.get(name);
      if (seen !== undefined) return seen;
      const value = this.env[name];
      if (value !== undefined) {
        this.envUsed.set(name, value);
        return value;
      }
      this.envMissing.add(name);
    }
    return '';
  }

  private callFunction(name: string, argv: string[]): string {
    switch (name) {
      case 'error-if':
        if (argv[0] === 'y') this.error(argv[1]);
        return '';
      case 'filename':
        return this.file;
      case 'info':
        this.sink('stdout', `${argv[0]}\n`);
        return '';
      case 'lineno':
        return String(this.lineno);
      case 'warning-if':
        if (argv[0] === 'y') this.sink('stderr', `${this.file}:${this.lineno}: ${argv[1]}\n`);
        return '';
      case 'shell': {
        this.shellCount++;
        this.shellCommands.push(argv[0]);
        let out = this.runShell(argv[0], this.env);
        if (out.length >= 4096) out = out.slice(0, 4095); // do_shell reads one 4 KiB buffer
        return out.replace(/\n+$/, '').replace(/\n/g, ' ');
      }
      default:
        return '';
    }
  }
}

const isTokenCh = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;

/** A plain word `[A-Za-z0-9_-]+` that is not a keyword can be written as itself. */
const PLAIN_WORD = /^[A-Za-z0-9_-]+$/;

/** Marks an expanded word that is not a plain word in the canonical text (grammar: `expWord`). */
export const EXP_MARK = '\u0001';

/** The result of {@link tokenizeLine}. */
export interface TokenizedLine {
  /**
   * Canonical tokens: words as themselves (an expanded word that is not a plain, non-keyword
   * word is wrapped in U+0001 marks), strings re-quoted with `"` (inner `"` and `\` escaped with
   * `\`), operators as themselves. Joined by single spaces they are the grammar's input.
   */
  tokens: string[];
  /** For each token, its offset in the logical line's text (for error positions). */
  starts: number[];
}

/**
 * lexer.l's INITIAL/STRING tokenisation of one logical line, with macro expansion applied
 * where lexer.l applies it, as canonical tokens for the line grammar.
 * @param l the logical line (from the pre-pass)
 * @param pp the macro state; its file must be set; lineno is set per token
 * @param warnings receives lexer warnings (`file:line:warning: ...`)
 * @throws KconfigError from the macro language (unterminated reference, error-if, ...)
 */
export function tokenizeLine(l: StmtLine, pp: Preprocessor, warnings: string[]): TokenizedLine {
  const s = l.text;
  const n = s.length;
  const parts: string[] = [];
  const starts: number[] = [];
  const push = (tok: string, at: number): void => {
    parts.push(tok);
    starts.push(at);
  };
  let p = 0;
  while (p < n) {
    const c = s.charCodeAt(p);
    if (c === 32 || c === 9) {
      p++;
      continue;
    }
    if (isTokenCh(c) || c === 36) {
      const w0 = p;
      let q = p;
      let dollar = false;
      while (q < n && (isTokenCh(s.charCodeAt(q)) || s.charCodeAt(q) === 36)) {
        if (s.charCodeAt(q) === 36) dollar = true;
        q++;
      }
      if (!dollar) {
        push(s.slice(w0, q), w0);
        p = q;
        continue;
      }
      const [line, col] = positionOf(l, w0);
      pp.lineno = line;
      pp.col = col;
      const r = pp.expandOneToken(s, w0);
      p = r.end;
      if (r.out === '') continue; // an empty expansion is no token
      push(PLAIN_WORD.test(r.out) && !KEYWORDS.has(r.out) ? r.out : EXP_MARK + r.out + EXP_MARK, w0);
      continue;
    }
    if (c === 34 || c === 39) {
      const q0 = p;
      let str = '';
      p++;
      let closed = false;
      while (p < n) {
        const d = s.charCodeAt(p);
        if (d === c) {
          p++;
          closed = true;
          break;
        }
        if (d === 92) {
          // `\\.?`: the next character is taken literally.
          if (p + 1 < n) str += s[p + 1];
          p += 2;
          continue;
        }
        if (d === 36) {
          const [line, col] = positionOf(l, p);
          pp.lineno = line;
          pp.col = col;
          const r = pp.expandDollar(s, p + 1, null);
          str += r.out;
          p = r.end;
          continue;
        }
        str += s[p++];
      }
      if (!closed) {
        // lexer.l reports it at current_pos: the statement's first line, not the string's.
        warnings.push(`${pp.file}:${l.line}:warning: multi-line strings not supported`);
      }
      push(`"${str.replace(/[\\"]/g, '\\$&')}"`, q0);
      continue;
    }
    const c2 = s.charCodeAt(p + 1);
    let op = '';
    switch (c) {
      case 124: if (c2 === 124) op = '||'; break;
      case 38: if (c2 === 38) op = '&&'; break;
      case 61: op = '='; break;
      case 33: op = c2 === 61 ? '!=' : '!'; break;
      case 60: op = c2 === 61 ? '<=' : '<'; break;
      case 62: op = c2 === 61 ? '>=' : '>'; break;
      case 40: op = '('; break;
      case 41: op = ')'; break;
      case 58: if (c2 === 61) op = ':='; break;
      case 43: if (c2 === 61) op = '+='; break;
    }
    if (op) {
      push(op, p);
      p += op.length;
      continue;
    }
    const [line] = positionOf(l, p);
    warnings.push(`${pp.file}:${line}:warning: ignoring unsupported character '${s[p]}'`);
    p++;
  }
  return { tokens: parts, starts };
}
