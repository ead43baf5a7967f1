// SPDX-License-Identifier: GPL-2.0
/*
 * kconfig-dump: the conformance oracle's view of a parsed Kconfig tree.
 *
 * Linked against a kernel tree's own scripts/kconfig objects (every one of conf's objects except
 * conf.o), it runs conf_parse() exactly as `conf` does (menu_finalize() and the dependency check
 * included) and prints the resulting symbols, properties and menu tree in a stable line format,
 * expressions printed by the C tool's own expr_fprint() (so the parenthesisation is the C tool's).
 * src/conformance/dump.ts prints a kbuildts KconfigTree in exactly the same format.
 *
 * Usage (in the object directory, with the environment make gives conf):
 *   kconfig-dump [--sections LIST] [--config FILE] [--flags-mask N] Kconfig
 *     --sections  comma list of: counts, files, hash, menu, values   (default counts,files,hash,menu)
 *     --config    conf_read(FILE) after parsing ("-" = conf_read(NULL): the .config/defconfig
 *                 fallback list) and add the values section
 *     --flags-mask only print these SYMBOL_* bits (e.g. 0x1131 = CONST|CHOICE|CHOICEVAL|OPTIONAL|
 *                 NO_WRITE, the bits the parser sets); default: all
 *
 * Output format (one record per line, fields separated by one space, strings in C-escaped
 * double quotes, expressions as expr_fprint prints them, "-" for a NULL expression):
 *   kconfig-dump 1
 *   count <key> <n>                       files, symbols, choices, shell, sources, ... (see below)
 *   file <name>                           every file read, in the order first opened
 *   section hash                          every symbol of the hash table, table order
 *   section menu                          the menu tree, depth first; each symbol's record follows
 *                                         its first menu node; then the symbols no menu node
 *                                         reaches, in table order
 *   section values                        (with --config) one line per symbol, table order
 *   end
 * A symbol record:
 *   sym <name|<choice>> <type> <flags>
 *     prop <type> <file>:<line> [text "<prompt>"] visible <expr> expr <expr>
 *     dir_dep <expr>
 *     rev_dep <expr>
 *     implied <expr>
 * A menu node:
 *   node <depth> <kind> <name|-> <file>:<line> flags <hex>
 *     prompt <type> "<text>" visible <expr>       (when the node has a prompt)
 *     dep <expr>
 *     visibility <expr>                           (when not NULL)
 *     help "<text>"                               (when not NULL)
 *   kind: root, config, menuconfig, choice, menu, comment, if
 * A value line:
 *   value <name|<choice>> <type> tri <n|m|y> str "<sym_get_string_value>" visible <n|m|y>
 *         flags <flags> [user <n|m|y|"<def[S_DEF_USER].val>">] [choice <member|->]
 *   user: only with SYMBOL_DEF_USER; choice: only for choices, the member that is y
 *   (6.1: sym_get_choice_value() when the choice is y; 6.12: the first of choice_members that is y)
 * Flags print as symbolic names joined by '|' (CONST|CHOICE|...; unknown bits as 0x...), "0" for none.
 *
 * Counts:
 *   files          length of the list of files read (what auto.conf.cmd lists)
 *   sources        number of `source` statements executed (zconf_nextfile calls, via --wrap)
 *   shell          number of $(shell,...) probes run (popen calls, via --wrap)
 *   symbols        symbols defined by a config/menuconfig entry: at least one menu node, a type
 *                  (not S_UNKNOWN), and not a choice
 *   symbols-all    every symbol in the hash table (constants and choices included)
 *   symbols-named  named, non-constant symbols
 *   symbols-typed  symbols with a type
 *   symbols-menu   symbols with at least one menu node
 *   choices        choice symbols (sym_is_choice(): SYMBOL_CHOICE in 6.1, no name in 6.12)
 *   menus          menu nodes in the tree, root included
 *
 * Version differences (6.1 vs 6.12 scripts/kconfig) are selected by KD_* macros the builder
 * (src/conformance/oracle.ts) derives from the tree's own headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>

#include "lkc.h"

#ifdef KD_INTERNAL_H
#include "internal.h"
#endif

/* ---- counters through the linker's --wrap ---------------------------------------------- */

static int shell_calls;
static int source_calls;

FILE *__real_popen(const char *command, const char *type);
FILE *__wrap_popen(const char *command, const char *type);
FILE *__wrap_popen(const char *command, const char *type)
{
	shell_calls++;
	return __real_popen(command, type);
}

void __real_zconf_nextfile(const char *name);
void __wrap_zconf_nextfile(const char *name);
void __wrap_zconf_nextfile(const char *name)
{
	source_calls++;
	__real_zconf_nextfile(name);
}

/* ---- version adaptors ------------------------------------------------------------------ */

#ifdef KD_STRUCT_FILE
#define PROP_FILE(p) ((p)->file ? (p)->file->name : "?")
#define MENU_FILE(m) ((m)->file ? (m)->file->name : "?")
#else
#define PROP_FILE(p) ((p)->filename ? (p)->filename : "?")
#define MENU_FILE(m) ((m)->filename ? (m)->filename : "?")
#endif

static struct symbol **all_syms;
static int n_syms;

/* Every symbol of the hash table, in for_all_symbols() order (bucket order, newest first). */
static void collect_symbols(void)
{
	struct symbol *sym;
	int cap = 1024;

	all_syms = malloc(sizeof(*all_syms) * cap);
#ifdef KD_FOR_ALL_SYMBOLS_2
	int i;
	for_all_symbols(i, sym) {
#else
	for_all_symbols(sym) {
#endif
		if (n_syms == cap) {
			cap *= 2;
			all_syms = realloc(all_syms, sizeof(*all_syms) * cap);
		}
		all_syms[n_syms++] = sym;
	}
}

static int sym_has_menu(struct symbol *sym)
{
#ifdef KD_SYM_MENUS
	return !list_empty(&sym->menus);
#else
	struct property *prop;

	for (prop = sym->prop; prop; prop = prop->next)
		if (prop->type == P_SYMBOL)
			return 1;
	return 0;
#endif
}

/* ---- printing helpers ------------------------------------------------------------------ */

static void put_str(const char *s)
{
	const unsigned char *p;

	if (!s) {
		fputs("-", stdout);
		return;
	}
	putchar('"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				printf("\\x%02x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

/* expr_fprint()'s helper, minus its assertion on empty names (a "" constant). */
static void put_expr_helper(void *data, struct symbol *sym, const char *str)
{
	fputs(str, data);
}

/* An expression as expr_fprint() prints it (the C printer itself), "-" for NULL. */
static void put_expr(struct expr *e)
{
	if (!e) {
		fputs("-", stdout);
		return;
	}
	expr_print(e, put_expr_helper, stdout, E_NONE);
}

static const char *sym_label(struct symbol *sym)
{
	return sym->name ? sym->name : "<choice>";
}

static const char *type_name(enum symbol_type t)
{
	switch (t) {
	case S_BOOLEAN: return "bool";
	case S_TRISTATE: return "tristate";
	case S_INT: return "int";
	case S_HEX: return "hex";
	case S_STRING: return "string";
	default: return "unknown";
	}
}

static const char *prop_name(enum prop_type t)
{
	switch (t) {
	case P_PROMPT: return "prompt";
	case P_COMMENT: return "comment";
	case P_MENU: return "menu";
	case P_DEFAULT: return "default";
#ifdef KD_P_CHOICE
	case P_CHOICE: return "choice";
#endif
	case P_SELECT: return "select";
	case P_IMPLY: return "imply";
	case P_RANGE: return "range";
#ifdef KD_P_SYMBOL
	case P_SYMBOL: return "symbol";
#endif
	default: return "unknown";
	}
}

static const char tri_char[] = { 'n', 'm', 'y' };

/* Only these flag bits are printed (--flags-mask; default all). */
static int flags_mask = -1;

static void put_flags(int flags)
{
	static const struct { int bit; const char *name; } names[] = {
		{ 0x0001, "CONST" }, { 0x0008, "CHECK" }, { 0x0010, "CHOICE" },
		{ 0x0020, "CHOICEVAL" }, { 0x0080, "VALID" }, { 0x0100, "OPTIONAL" },
		{ 0x0200, "WRITE" }, { 0x0400, "CHANGED" }, { 0x0800, "WRITTEN" },
		{ 0x1000, "NO_WRITE" }, { 0x2000, "CHECKED" }, { 0x8000, "WARNED" },
		{ 0x10000, "DEF_USER" }, { 0x20000, "DEF_AUTO" }, { 0x40000, "DEF3" },
		{ 0x80000, "DEF4" }, { 0x100000, "NEED_SET_CHOICE_VALUES" },
	};
	unsigned int rest;
	int first = 1;
	size_t i;

	flags &= flags_mask;
	rest = (unsigned int)flags;
	if (!flags) {
		fputs("0", stdout);
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (rest & names[i].bit) {
			printf("%s%s", first ? "" : "|", names[i].name);
			rest &= ~names[i].bit;
			first = 0;
		}
	}
	if (rest)
		printf("%s0x%x", first ? "" : "|", rest);
}

static void print_sym(struct symbol *sym)
{
	struct property *prop;

	printf("sym %s %s ", sym_label(sym), type_name(sym->type));
	put_flags(sym->flags);
	putchar('\n');
	for (prop = sym->prop; prop; prop = prop->next) {
		printf("  prop %s %s:%d", prop_name(prop->type), PROP_FILE(prop), prop->lineno);
		if (prop->text) {
			fputs(" text ", stdout);
			put_str(prop->text);
		}
		fputs(" visible ", stdout);
		put_expr(prop->visible.expr);
		fputs(" expr ", stdout);
		put_expr(prop->expr);
		putchar('\n');
	}
	fputs("  dir_dep ", stdout);
	put_expr(sym->dir_dep.expr);
	fputs("\n  rev_dep ", stdout);
	put_expr(sym->rev_dep.expr);
	fputs("\n  implied ", stdout);
	put_expr(sym->implied.expr);
	putchar('\n');
}

static const char *menu_kind(struct menu *menu)
{
	if (menu == &rootmenu)
		return "root";
	if (menu->sym) {
		if (sym_is_choice(menu->sym))
			return "choice";
		if (menu->prompt && menu->prompt->type == P_MENU)
			return "menuconfig";
		return "config";
	}
	if (menu->prompt) {
		if (menu->prompt->type == P_MENU)
			return "menu";
		if (menu->prompt->type == P_COMMENT)
			return "comment";
		return prop_name(menu->prompt->type);
	}
	return "if";
}

/* Marks of symbols already printed in the menu section (parallel to all_syms). */
static char *printed;

static int sym_index(struct symbol *sym)
{
	/* An open-addressing map from symbol pointer to table index, built on first use. */
	static struct symbol **keys;
	static int *vals;
	static int size;
	unsigned long h;
	int i;

	if (!keys) {
		size = 1;
		while (size < n_syms * 2)
			size <<= 1;
		keys = calloc(size, sizeof(*keys));
		vals = calloc(size, sizeof(*vals));
		for (i = 0; i < n_syms; i++) {
			h = ((unsigned long)all_syms[i] >> 4) & (size - 1);
			while (keys[h])
				h = (h + 1) & (size - 1);
			keys[h] = all_syms[i];
			vals[h] = i;
		}
	}
	h = ((unsigned long)sym >> 4) & (size - 1);
	while (keys[h]) {
		if (keys[h] == sym)
			return vals[h];
		h = (h + 1) & (size - 1);
	}
	return -1;
}

static int n_menus;

static void print_menu(struct menu *menu, int depth)
{
	struct menu *child;

	n_menus++;
	printf("node %d %s %s %s:%d flags 0x%x\n", depth, menu_kind(menu),
	       menu->sym ? sym_label(menu->sym) : "-", MENU_FILE(menu), menu->lineno,
	       menu->flags);
	if (menu->prompt) {
		printf("  prompt %s ", prop_name(menu->prompt->type));
		put_str(menu->prompt->text);
		fputs(" visible ", stdout);
		put_expr(menu->prompt->visible.expr);
		putchar('\n');
	}
	fputs("  dep ", stdout);
	put_expr(menu->dep);
	putchar('\n');
	if (menu->visibility) {
		fputs("  visibility ", stdout);
		put_expr(menu->visibility);
		putchar('\n');
	}
	if (menu->help) {
		fputs("  help ", stdout);
		put_str(menu->help);
		putchar('\n');
	}
	if (menu->sym) {
		int i = sym_index(menu->sym);

		if (i >= 0 && !printed[i]) {
			printed[i] = 1;
			print_sym(menu->sym);
		}
	}
	for (child = menu->list; child; child = child->next)
		print_menu(child, depth + 1);
}

static void count_menus(struct menu *menu)
{
	struct menu *child;

	n_menus++;
	for (child = menu->list; child; child = child->next)
		count_menus(child);
}

/* ---- files ----------------------------------------------------------------------------- */

static const char **files;
static int n_files;

#ifdef KD_STRUCT_FILE
/* 6.1: file_list is a singly linked list, newest first. */
static void collect_files(void)
{
	struct file *f;
	int n = 0, i;

	for (f = file_list; f; f = f->next)
		n++;
	files = malloc(sizeof(*files) * (n ? n : 1));
	n_files = n;
	i = n;
	for (f = file_list; f; f = f->next)
		files[--i] = f->name;
}
#else
/* 6.12: file_lookup() appends "\t<name> \\\n" to autoconf_cmd after "deps_config := \\\n",
 * in the order files are first opened; the list ends at the first blank line. */
static void collect_files(void)
{
	const char *p = str_get(&autoconf_cmd);
	const char *start = strstr(p, "deps_config := \\\n");
	int cap = 256;

	files = malloc(sizeof(*files) * cap);
	if (!start)
		return;
	p = start + strlen("deps_config := \\\n");
	while (*p == '\t') {
		const char *end = strstr(p, " \\\n");
		char *name;

		if (!end)
			break;
		name = strndup(p + 1, end - (p + 1));
		if (n_files == cap) {
			cap *= 2;
			files = realloc(files, sizeof(*files) * cap);
		}
		files[n_files++] = name;
		p = end + 3;
	}
}
#endif

/* ---- values ---------------------------------------------------------------------------- */

static void print_value(struct symbol *sym)
{
	printf("value %s %s tri %c str ", sym_label(sym), type_name(sym->type),
	       tri_char[sym->curr.tri % 3]);
	put_str(sym_get_string_value(sym));
	printf(" visible %c flags ", tri_char[sym->visible % 3]);
	put_flags(sym->flags);
	if (sym->flags & SYMBOL_DEF_USER) {
		fputs(" user ", stdout);
		if (sym->type == S_BOOLEAN || sym->type == S_TRISTATE)
			printf("%c", tri_char[sym->def[S_DEF_USER].tri % 3]);
		else
			put_str(sym->def[S_DEF_USER].val);
	}
	if (sym_is_choice(sym)) {
		struct symbol *cv = NULL;
#ifdef KD_STRUCT_FILE
		/* 6.1: curr.val holds the chosen member only when the choice is y. */
		if (sym->curr.tri == yes)
			cv = sym_get_choice_value(sym);
#else
		/* 6.12: the member whose value is y, in choice_members (priority) order. */
		struct menu *choice;
		struct symbol *member;

		if (!list_empty(&sym->menus)) {
			choice = list_first_entry(&sym->menus, struct menu, link);
			list_for_each_entry(member, &choice->choice_members, choice_link)
				if (member->curr.tri == yes) {
					cv = member;
					break;
				}
		}
#endif
		printf(" choice %s", cv ? sym_label(cv) : "-");
	}
	putchar('\n');
}

/* ---- main ------------------------------------------------------------------------------ */

static int has_section(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
			return 1;
		p += n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *sections = "counts,files,hash,menu";
	const char *config = NULL;
	const char *kconfig = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sections") && i + 1 < argc)
			sections = argv[++i];
		else if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (!strcmp(argv[i], "--flags-mask") && i + 1 < argc)
			flags_mask = (int)strtoul(argv[++i], NULL, 0);
		else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "kconfig-dump: unknown option %s\n", argv[i]);
			return 2;
		} else
			kconfig = argv[i];
	}
	if (!kconfig) {
		fprintf(stderr, "usage: kconfig-dump [--sections LIST] [--config FILE|-] [--flags-mask N] Kconfig\n");
		return 2;
	}

	conf_set_message_callback(NULL);
	conf_parse(kconfig);
	fflush(stderr);

	collect_symbols();
	collect_files();

	printf("kconfig-dump 1\n");
	if (has_section(sections, "counts")) {
		int all = n_syms, named = 0, typed = 0, withmenu = 0, defined = 0, choices = 0;

		for (i = 0; i < n_syms; i++) {
			struct symbol *s = all_syms[i];
			int m = sym_has_menu(s);

			if (s->name && !(s->flags & SYMBOL_CONST))
				named++;
			if (s->type != S_UNKNOWN)
				typed++;
			if (m)
				withmenu++;
			if (m && s->type != S_UNKNOWN && !sym_is_choice(s))
				defined++;
			if (sym_is_choice(s))
				choices++;
		}
		n_menus = 0;
		count_menus(&rootmenu);
		printf("count files %d\n", n_files);
		printf("count sources %d\n", source_calls);
		printf("count shell %d\n", shell_calls);
		printf("count symbols %d\n", defined);
		printf("count symbols-all %d\n", all);
		printf("count symbols-named %d\n", named);
		printf("count symbols-typed %d\n", typed);
		printf("count symbols-menu %d\n", withmenu);
		printf("count choices %d\n", choices);
		printf("count menus %d\n", n_menus);
	}
	if (has_section(sections, "files"))
		for (i = 0; i < n_files; i++)
			printf("file %s\n", files[i]);
	if (has_section(sections, "hash")) {
		printf("section hash\n");
		for (i = 0; i < n_syms; i++)
			print_sym(all_syms[i]);
	}
	if (has_section(sections, "menu")) {
		printf("section menu\n");
		printed = calloc(n_syms ? n_syms : 1, 1);
		n_menus = 0;
		print_menu(&rootmenu, 0);
		for (i = 0; i < n_syms; i++)
			if (!printed[i])
				print_sym(all_syms[i]);
	}
	if (config) {
		if (conf_read(strcmp(config, "-") ? config : NULL)) {
			fprintf(stderr, "kconfig-dump: cannot read configuration %s\n", config);
			return 1;
		}
		printf("section values\n");
		for (i = 0; i < n_syms; i++)
			print_value(all_syms[i]);
	}
	printf("end\n");
	if (fflush(stdout) || ferror(stdout))
		return 1;
	return 0;
}
