/**
 * The Kconfig lexer pre-pass: one file's text -> logical lines, following the start conditions
 * of scripts/kconfig/lexer.l (Linux 6.1).
 *
 * What it does, rule by rule of lexer.l:
 * - INITIAL: `#.*` comments are dropped (outside strings and outside `$(...)` references, which
 *   lexer.l reads raw to the end of the physical line), `\\\n` joins physical lines, `\n` ends a
 *   logical line. Quoted strings and macro words are kept raw: expansion happens later, in
 *   order, in src/kconfig/preprocess.ts (it has side effects: `$(shell)`, `$(info)`).
 * - ASSIGN_VAL: after a first word and `=`, `:=` or `+=`, the rest of the physical line (leading
 *   blanks skipped, `#` and trailing blanks kept) is the raw value.
 * - HELP: after a line holding only `help`, the help text is collected by indentation exactly as
 *   the HELP start condition does: a tab advances to the next multiple of 8; the first text
 *   line fixes the indentation (it is removed, deeper indentation becomes spaces); help ends at
 *   a text line indented less, or at a newline followed by a character in column 1 (that
 *   newline is not part of the text: "text" right before `config` has no final "\n", while
 *   blank lines before it give "text\n" plus one "\n" per further blank line); trailing
 *   blanks of each line are removed. Help text never reaches the grammar.
 *
 * Positions: lines are 1-based physical line numbers, columns 1-based character offsets.
 *
 * Known deviation: lexer.l decides `help` and assignments on tokens after macro expansion, this
 * pre-pass on the raw words: a line such as `$(empty) help` (a reference that expands to
 * nothing, then `help`) is not taken as the start of help text here.
 */

/** One statement line (INITIAL start condition), comments removed, continuations joined. */
export interface StmtLine {
  kind: 'stmt';
  /** The logical line's text; a joined continuation is replaced by one space. */
  text: string;
  /** Position of the first character of `text`. */
  line: number;
  col: number;
  /**
   * Extra segments when continuations were joined: triples [offsetInText, line, col] giving the
   * physical position of text[offsetInText]. Absent for a single physical line.
   */
  segs?: number[];
  /**
   * The file ends inside this line (no final newline): lexer.l switches back to the including
   * file before the statement's closing T_EOL, so parser.y's actions see the parent as
   * current_file.
   */
  atEof?: boolean;
}

/** An assignment `NAME op value` (lexer.l's ASSIGN_VAL start condition). */
export interface AssignLine {
  kind: 'assign';
  /** The first word, raw (may contain `$(...)` references). */
  name: string;
  op: '=' | ':=' | '+=';
  /** The raw value (not yet expanded); "" when empty. */
  value: string;
  line: number;
  col: number;
  /** Physical line of the op, and the column of the first value character (for messages). */
  valueLine: number;
  valueCol: number;
  /** See {@link StmtLine.atEof}. */
  atEof?: boolean;
}

/** Help text collected after a `help` line (the T_HELPTEXT token). */
export interface HelpText {
  kind: 'help';
  text: string;
  /** First physical line of the text. */
  line: number;
  /** yylineno when the text ended (what parser.y's warnings about help print). */
  endLine: number;
}

/** An item of the pre-pass output, in file order. */
export type LexItem = StmtLine | AssignLine | HelpText;

/** The result of {@link splitLogicalLines}. */
export interface LexResult {
  items: LexItem[];
  /** Warnings lexer.l prints, formatted `file:line:warning: text` as lexer.l does. */
  warnings: string[];
  /** Number of physical lines (yylineno at EOF). */
  lines: number;
}

/** lexer.l's keywords (6.1), which a plain word never is. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'bool', 'choice', 'comment', 'config', 'def_bool', 'def_tristate', 'default', 'depends',
  'endchoice', 'endif', 'endmenu', 'help', 'hex', 'if', 'imply', 'int', 'mainmenu', 'menu',
  'menuconfig', 'modules', 'on', 'optional', 'prompt', 'range', 'select', 'source', 'string',
  'tristate', 'visible',
]);

const isWordCh = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
const NL = 10;
const SP = 32;
const TAB = 9;

/**
 * Index just after the `)` matching the `(` at `open` within the physical line (lexer.l reads
 * `$(...)` references raw to the end of the line and matches parentheses by nesting only).
 * @returns the index after `)`, or -1 when the reference is unterminated on this line
 */
export function matchParen(s: string, open: number): number {
  let nest = 0;
  for (let q = open + 1; q < s.length; q++) {
    const c = s.charCodeAt(q);
    if (c === NL) return -1;
    if (c === 40) nest++;
    else if (c === 41) {
      if (nest-- === 0) return q + 1;
    }
  }
  return -1;
}

/**
 * Split a Kconfig file into logical lines, assignments and help texts (lexer.l's INITIAL,
 * ASSIGN_VAL and HELP start conditions).
 * @param text the file contents
 * @param file the file name as it is reported in messages
 * @returns items in file order, plus lexer warnings ("no new line at end of file")
 */
export function splitLogicalLines(text: string, file: string): LexResult {
  const items: LexItem[] = [];
  const warnings: string[] = [];
  const n = text.length;
  let p = 0;
  let line = 1;
  let lineStart = 0; // index of the first char of the current physical line
  let tokenAtEof = false; // the file ends inside a statement (lexer.l warns)

  while (p < n) {
    // Start of a statement: skip blanks, blank lines and comments.
    let c = text.charCodeAt(p);
    if (c === SP || c === TAB) {
      p++;
      continue;
    }
    if (c === NL) {
      p++;
      line++;
      lineStart = p;
      continue;
    }
    if (c === 35 /* # */) {
      while (p < n && text.charCodeAt(p) !== NL) p++;
      continue;
    }
    if (c === 92 /* \ */ && text.charCodeAt(p + 1) === NL) {
      p += 2;
      line++;
      lineStart = p;
      continue;
    }
    const startLine = line;
    const startCol = p - lineStart + 1;
    let out = '';
    let segs: number[] | undefined;
    let tokens = 0;
    let firstWordEnd = -1; // out.length after the first token when it is a (non-keyword) word
    let firstToken = ''; // the first token when it is a plain word
    let assign: AssignLine | undefined;
    // Scan one logical line.
    while (p < n) {
      c = text.charCodeAt(p);
      if (c === NL) break;
      if (c === SP || c === TAB) {
        out += text[p++];
        continue;
      }
      if (c === 35) {
        while (p < n && text.charCodeAt(p) !== NL) p++;
        break;
      }
      if (c === 92 && text.charCodeAt(p + 1) === NL) {
        out += ' ';
        p += 2;
        line++;
        lineStart = p;
        (segs ??= []).push(out.length, line, 1);
        continue;
      }
      // Assignment: a first word followed by =, := or +=.
      if (tokens === 1 && firstWordEnd >= 0) {
        const c2 = text.charCodeAt(p + 1);
        let op: AssignLine['op'] | undefined;
        if (c === 61 /* = */) op = '=';
        else if (c === 58 /* : */ && c2 === 61) op = ':=';
        else if (c === 43 /* + */ && c2 === 61) op = '+=';
        if (op) {
          p += op.length;
          while (p < n && (text.charCodeAt(p) === SP || text.charCodeAt(p) === TAB)) p++;
          const vStart = p;
          while (p < n && text.charCodeAt(p) !== NL) p++;
          assign = {
            kind: 'assign',
            name: out.slice(0, firstWordEnd),
            op,
            value: text.slice(vStart, p),
            line: startLine,
            col: startCol,
            valueLine: line,
            valueCol: vStart - lineStart + 1,
          };
          break;
        }
      }
      if (c === 34 || c === 39) {
        // Quoted string, kept raw: escapes and `$(...)` are processed by the preprocessor.
        const q0 = p;
        p++;
        while (p < n) {
          const d = text.charCodeAt(p);
          if (d === NL) break; // "multi-line strings not supported": the tokenizer warns
          if (d === c) {
            p++;
            break;
          }
          if (d === 92) {
            p += text.charCodeAt(p + 1) === NL ? 1 : 2;
            continue;
          }
          if (d === 36 /* $ */ && text.charCodeAt(p + 1) === 40) {
            const e = matchParen(text, p + 1);
            if (e < 0) {
              while (p < n && text.charCodeAt(p) !== NL) p++;
              break;
            }
            p = e;
            continue;
          }
          p++;
        }
        out += text.slice(q0, p);
        tokens++;
        continue;
      }
      if (isWordCh(c) || c === 36) {
        const w0 = p;
        let hasDollar = false;
        while (p < n) {
          const d = text.charCodeAt(p);
          if (isWordCh(d)) p++;
          else if (d === 36) {
            hasDollar = true;
            if (text.charCodeAt(p + 1) === 40) {
              const e = matchParen(text, p + 1);
              if (e < 0) {
                // Unterminated: keep the rest of the line; the preprocessor reports it.
                while (p < n && text.charCodeAt(p) !== NL) p++;
                break;
              }
              p = e;
            } else p++;
          } else break;
        }
        const w = text.slice(w0, p);
        out += w;
        tokens++;
        if (tokens === 1) {
          if (hasDollar || !KEYWORDS.has(w)) firstWordEnd = out.length;
          if (!hasDollar) firstToken = w;
        }
        continue;
      }
      // Operators and unsupported characters: kept for the tokenizer. An unsupported character
      // (lexer.l's `.` rule: a warning, no token) does not count as a token.
      out += text[p++];
      const c2 = text.charCodeAt(p);
      if (((c === 124 || c === 38) && c2 === c) || ((c === 58 || c === 43) && c2 === 61)) {
        out += text[p++]; // || && := +=
        tokens++;
      } else if (c === 33 || c === 60 || c === 62) {
        if (c2 === 61) out += text[p++]; // != <= >=
        tokens++;
      } else if (c === 61 || c === 40 || c === 41) tokens++; // = ( )
    }
    if (p >= n) tokenAtEof = true;
    if (assign) {
      items.push(assign);
      continue;
    }
    const item: StmtLine = { kind: 'stmt', text: out, line: startLine, col: startCol };
    if (segs) item.segs = segs;
    items.push(item);
    // `help` T_EOL: the parser starts the HELP start condition after the newline.
    if (tokens === 1 && firstToken === 'help') {
      if (p < n) {
        p++; // the newline
        line++;
        lineStart = p;
      }
      const h = collectHelp(text, p, line);
      items.push({ kind: 'help', text: h.text, line: h.firstLine, endLine: h.endLine });
      tokenAtEof = false;
      // Resume in INITIAL where HELP stopped.
      for (let k = p; k < h.end; k++) {
        if (text.charCodeAt(k) === NL) {
          line++;
          lineStart = k + 1;
        }
      }
      p = h.end;
    }
  }
  const lines = line;
  if (tokenAtEof) {
    (items[items.length - 1] as StmtLine | AssignLine).atEof = true;
    warnings.push(`${file}:${line}:warning: no new line at end of file`);
  }
  return { items, warnings, lines };
}

/**
 * lexer.l's HELP start condition from index `p` (the start of the line after `help`).
 * @returns the text, the index where INITIAL resumes, and the line numbers involved
 */
function collectHelp(
  s: string,
  p: number,
  line: number,
): { text: string; end: number; firstLine: number; endLine: number } {
  const n = s.length;
  let text = '';
  let firstTs = 0;
  let lastTs = 0;
  const firstLine = line;
  while (p < n) {
    const c = s.charCodeAt(p);
    if (c === SP || c === TAB) {
      let q = p;
      let ts = 0;
      while (q < n) {
        const d = s.charCodeAt(q);
        if (d === TAB) ts = (ts & ~7) + 8;
        else if (d === SP) ts++;
        else break;
        q++;
      }
      if (q < n && s.charCodeAt(q) === NL) {
        // `[ \t]*\n/[^ \t\n]` ends the help; `[ \t]*\n` appends a newline.
        if (q + 1 < n && !isBlankOrNl(s.charCodeAt(q + 1))) {
          return { text, end: q + 1, firstLine, endLine: line + 1 };
        }
        text += '\n';
        p = q + 1;
        line++;
        continue;
      }
      // `[ \t]+`
      lastTs = ts;
      if (firstTs) {
        if (ts < firstTs) return { text, end: q, firstLine, endLine: line };
        text += ' '.repeat(ts - firstTs);
      }
      p = q;
      continue;
    }
    if (c === NL) {
      if (p + 1 < n && !isBlankOrNl(s.charCodeAt(p + 1))) {
        return { text, end: p + 1, firstLine, endLine: line + 1 };
      }
      text += '\n';
      p++;
      line++;
      continue;
    }
    // `[^ \t\n].*` with trailing blanks removed.
    let e = s.indexOf('\n', p);
    if (e < 0) e = n;
    let t = e;
    while (t > p && (s.charCodeAt(t - 1) === SP || s.charCodeAt(t - 1) === TAB)) t--;
    text += s.slice(p, t);
    if (!firstTs) firstTs = lastTs;
    p = e;
  }
  return { text, end: n, firstLine, endLine: line };
}

const isBlankOrNl = (c: number): boolean => c === SP || c === TAB || c === NL;

/**
 * The physical position of offset `off` in a statement line's text.
 * @returns [line, col], both 1-based
 */
export function positionOf(l: StmtLine, off: number): [number, number] {
  let line = l.line;
  let base = 0;
  let col = l.col;
  if (l.segs) {
    for (let i = 0; i < l.segs.length; i += 3) {
      if (l.segs[i] > off) break;
      base = l.segs[i];
      line = l.segs[i + 1];
      col = l.segs[i + 2];
    }
  }
  return [line, col + (off - base)];
}
