/**
 * The symbol table of scripts/kconfig/symbol.c (Linux 6.1): the four constant symbols
 * (symbol_yes, symbol_mod, symbol_no, symbol_empty), sym_lookup(), sym_find() and the
 * nameless choice symbols that `sym_lookup(NULL, SYMBOL_CHOICE)` creates.
 *
 * C keeps symbols in a hash table (FNV-1a, 9,973 buckets in 6.1); lookups here use Maps that
 * give the same answers, and {@link SymbolTable.symbols} keeps creation order, which C does not
 * record (the evaluator can recompute the bucket order with {@link symbolHash} where it matters,
 * e.g. for 6.1 randconfig).
 */
import {
  SYMBOL_CHOICE,
  SYMBOL_CONST,
  SYMBOL_VALID,
  SymbolType,
  no,
  mod,
  yes,
  type Sym,
  type Tristate,
} from './model.js';

/**
 * A fresh symbol with every field zeroed as xmalloc+memset does in sym_lookup().
 * @param name symbol name, or null for a nameless choice
 * @param flags initial SYMBOL_* flags
 */
export function newSym(name: string | null, flags: number): Sym {
  return {
    name,
    type: SymbolType.Unknown,
    curr: { val: null, tri: no },
    def: [
      { val: null, tri: no },
      { val: null, tri: no },
    ], // S_DEF_COUNT slots
    visible: no,
    flags,
    props: [],
    dir_dep: { expr: null, tri: no },
    rev_dep: { expr: null, tri: no },
    implied: { expr: null, tri: no },
    menus: [],
  };
}

function constSym(name: string, type: SymbolType, tri: Tristate, flags: number): Sym {
  const s = newSym(name, flags);
  s.type = type;
  s.curr = { val: name, tri };
  return s;
}

/**
 * The FNV-1a hash of symbol.c strhash() modulo the table size (9,973 buckets in 6.1,
 * 16,384 in 6.12), computed over the name's bytes as C `char`s (signed on x86/arm64 gcc).
 * @returns the bucket index, 0 <= result < buckets
 */
export function symbolHash(name: string, buckets = 9973): number {
  let hash = 2166136261;
  for (const byte of Buffer.from(name, 'latin1')) {
    const c = byte >= 0x80 ? byte - 0x100 : byte; // char is signed: sign-extends before the xor
    hash = Math.imul((hash ^ c) >>> 0, 0x01000193) >>> 0;
  }
  return hash % buckets;
}

/**
 * The symbol table of one Kconfig parse, following symbol.c.
 *
 * - `y`, `m`, `n` always resolve to the constants symbolYes/symbolMod/symbolNo (tristate,
 *   SYMBOL_CONST|SYMBOL_VALID); symbolEmpty (name "", SYMBOL_VALID) is not reachable by lookup,
 *   exactly as in C where it is not in the hash table.
 * - Every other name gives one ordinary symbol per (name, const-ness), created on first lookup
 *   with type S_UNKNOWN: a quoted string `"foo"` in an expression is a SYMBOL_CONST symbol; a word
 *   such as `0x100` or `64` is an ordinary, non-const symbol of unknown type, as in C.
 */
export class SymbolTable {
  readonly symbolYes: Sym = constSym('y', SymbolType.Tristate, yes, SYMBOL_CONST | SYMBOL_VALID);
  readonly symbolMod: Sym = constSym('m', SymbolType.Tristate, mod, SYMBOL_CONST | SYMBOL_VALID);
  readonly symbolNo: Sym = constSym('n', SymbolType.Tristate, no, SYMBOL_CONST | SYMBOL_VALID);
  readonly symbolEmpty: Sym = (() => {
    const s = newSym('', SYMBOL_VALID);
    s.curr = { val: '', tri: no };
    return s;
  })();
  /**
   * Every symbol in creation order: the constants y, m, n first, then symbols as sym_lookup()
   * created them (named, constant and choice symbols alike). symbolEmpty is not listed: like C's
   * symbol_empty it is not in the table (it is neither const nor typed, and would otherwise
   * look like a named symbol "").
   */
  readonly symbols: Sym[] = [this.symbolYes, this.symbolMod, this.symbolNo];
  /** Ordinary (non-const, non-choice) named symbols: what sym_lookup(name, 0) and sym_find() see. */
  readonly byName = new Map<string, Sym>();
  /** SYMBOL_CONST symbols by name (quoted strings in expressions). */
  private readonly consts = new Map<string, Sym>();
  /** Named choice symbols (6.1 `choice NAME`). */
  private readonly choices = new Map<string, Sym>();

  /**
   * sym_lookup(name, flags) of symbol.c.
   * @param name the word or string text; null creates a nameless symbol (a 6.1 choice)
   * @param flags 0 for an ordinary symbol, SYMBOL_CONST for a quoted string, SYMBOL_CHOICE for a
   *   choice. An existing symbol is returned when its flags intersect `flags` (or, for flags 0,
   *   when it is neither const nor a choice); otherwise a new symbol with exactly `flags` is made.
   * @returns the symbol (y/m/n single-letter names always give the constants)
   */
  lookup(name: string | null, flags: number): Sym {
    if (name !== null) {
      if (name.length === 1) {
        if (name === 'y') return this.symbolYes;
        if (name === 'm') return this.symbolMod;
        if (name === 'n') return this.symbolNo;
      }
      const found = this.findWithFlags(name, flags);
      if (found) return found;
    }
    const sym = newSym(name, flags);
    this.symbols.push(sym);
    if (name !== null) {
      if (flags === 0) this.byName.set(name, sym);
      else if (flags & SYMBOL_CONST) {
        if (!this.consts.has(name)) this.consts.set(name, sym);
      } else if (flags & SYMBOL_CHOICE) {
        if (!this.choices.has(name)) this.choices.set(name, sym);
      }
    }
    return sym;
  }

  private findWithFlags(name: string, flags: number): Sym | undefined {
    if (flags === 0) return this.byName.get(name);
    // C walks the bucket and returns the first symbol whose flags intersect `flags`.
    let hit: Sym | undefined;
    if (flags & SYMBOL_CONST) hit = this.consts.get(name);
    if (!hit && flags & SYMBOL_CHOICE) hit = this.choices.get(name);
    if (!hit) {
      const ord = this.byName.get(name);
      if (ord && ord.flags & flags) hit = ord;
    }
    return hit;
  }

  /**
   * A nameless choice symbol: sym_lookup(NULL, SYMBOL_CHOICE) in 6.1 (always a new symbol).
   * A named 6.1 choice goes through {@link lookup}(name, SYMBOL_CHOICE) instead.
   */
  newChoice(): Sym {
    return this.lookup(null, SYMBOL_CHOICE);
  }

  /**
   * sym_find(name) of symbol.c: y/m/n give the constants; otherwise the non-const named symbol
   * (C would also return a named choice symbol; 6.1 trees name no choices).
   * @returns the symbol or undefined
   */
  find(name: string): Sym | undefined {
    if (name === 'y') return this.symbolYes;
    if (name === 'm') return this.symbolMod;
    if (name === 'n') return this.symbolNo;
    return this.byName.get(name) ?? this.choices.get(name);
  }
}
