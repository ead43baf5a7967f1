/*
 * Dump what scripts/kconfig's parser (Linux 6.1 parser.y + lexer.l + preprocess.c) builds
 * BEFORE menu_finalize(): every menu node in tree order and every named non-const symbol in
 * name order with its properties. Linked against the oracle's scripts/kconfig objects (all but
 * conf.o); run like conf: in the object directory, `dump Kconfig`, srctree in the environment.
 * The format is mirrored by test/kconfig-dump.ts (dumpTree) for a line-by-line diff.
 * Build with -DKV612 (and -I scripts/include) against a Linux 6.12 tree's objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lkc.h"
#ifdef KV612
/* Linux 6.12: file names are plain strings, the symbol table is a hashtable.h table. */
#include "internal.h"
#define MENU_FILE(m) ((m)->filename)
#define PROP_FILE(p) ((p)->filename)
#define FOR_ALL_SYMBOLS(i, sym) (void)(i); for_all_symbols(sym)
#define SYMBOL_CHOICE 0 /* 6.12 choices are the nameless symbols */
#else
#define MENU_FILE(m) ((m)->file ? (m)->file->name : NULL)
#define PROP_FILE(p) ((p)->file ? (p)->file->name : NULL)
#define FOR_ALL_SYMBOLS(i, sym) for_all_symbols(i, sym)
#endif

extern struct menu rootmenu, *current_entry;
int yyparse(void);
extern int yynerrs;
void zconf_initscan(const char *name);
void _menu_init(void);

static void pexpr(struct expr *e)
{
	if (!e) { printf("-"); return; }
	switch (e->type) {
	case E_SYMBOL:
		printf("%s%s", e->left.sym->flags & SYMBOL_CONST ? "'" : "", e->left.sym->name ? e->left.sym->name : "<choice>");
		break;
	case E_NOT: printf("!("); pexpr(e->left.expr); printf(")"); break;
	case E_AND: case E_OR:
		printf("%s(", e->type == E_AND ? "and" : "or");
		pexpr(e->left.expr); printf(","); pexpr(e->right.expr); printf(")");
		break;
	case E_EQUAL: case E_UNEQUAL: case E_LTH: case E_LEQ: case E_GTH: case E_GEQ: case E_RANGE: {
		const char *n[] = { [E_EQUAL] = "equal", [E_UNEQUAL] = "unequal", [E_LTH] = "lth",
			[E_LEQ] = "leq", [E_GTH] = "gth", [E_GEQ] = "geq", [E_RANGE] = "range" };
		printf("%s(%s%s,%s%s)", n[e->type],
		       e->left.sym->flags & SYMBOL_CONST ? "'" : "", e->left.sym->name,
		       e->right.sym->flags & SYMBOL_CONST ? "'" : "", e->right.sym->name);
		break;
	}
	default: printf("?%d", e->type);
	}
}

static const char *ptype(enum prop_type t)
{
	switch (t) {
	case P_PROMPT: return "prompt"; case P_COMMENT: return "comment"; case P_MENU: return "menu";
	case P_DEFAULT: return "default"; case P_SELECT: return "select";
	case P_IMPLY: return "imply"; case P_RANGE: return "range";
#ifndef KV612
	case P_CHOICE: return "choice"; case P_SYMBOL: return "symbol";
#endif
	default: return "unknown";
	}
}

static unsigned hash(const char *s)
{
	unsigned h = 2166136261U;
	for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 0x01000193;
	return h;
}

static void pmenu(struct menu *m, int depth)
{
	for (; m; m = m->next) {
		printf("M%d %s:%d sym=%s", depth, MENU_FILE(m) ? MENU_FILE(m) : "-", m->lineno,
		       m->sym ? (m->sym->name ? m->sym->name : "<choice>") : "-");
		if (m->prompt) {
			printf(" prompt=%s[%s]@%d vis=", ptype(m->prompt->type), m->prompt->text, m->prompt->lineno);
			pexpr(m->prompt->visible.expr);
		}
		printf(" dep="); pexpr(m->dep);
		printf(" visibility="); pexpr(m->visibility);
		if (m->help) printf(" help=%zu/%08x", strlen(m->help), hash(m->help));
		printf("\n");
		if (m->list) pmenu(m->list, depth + 1);
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp((*(struct symbol **)a)->name, (*(struct symbol **)b)->name);
}

int main(int argc, char **argv)
{
	struct symbol *sym, **all;
	struct property *p;
	int i, n = 0, k;

#ifdef KV612
	autoconf_cmd = str_new(); /* file_lookup() appends to it */
#endif
	zconf_initscan(argc > 1 ? argv[1] : "Kconfig");
	_menu_init();
	if (yyparse() || yynerrs) return 1;
	/* conf_parse()'s own steps before menu_finalize() */
	if (!modules_sym) modules_sym = sym_find("n");
	if (!menu_has_prompt(&rootmenu)) {
		current_entry = &rootmenu;
		menu_add_prompt(P_MENU, "Main menu", NULL);
	}

	printf("root prompt=%s\n", rootmenu.prompt ? rootmenu.prompt->text : "-");
	pmenu(rootmenu.list, 0);
	all = malloc(sizeof(*all) * 100000);
	FOR_ALL_SYMBOLS(i, sym)
		if (sym->name && !(sym->flags & (SYMBOL_CONST | SYMBOL_CHOICE)))
			all[n++] = sym;
	qsort(all, n, sizeof(*all), cmp);
	for (k = 0; k < n; k++) {
		sym = all[k];
		printf("S %s type=%d flags=%x\n", sym->name, sym->type, sym->flags);
		for (p = sym->prop; p; p = p->next) {
			printf("  P %s %s:%d expr=", ptype(p->type), PROP_FILE(p) ? PROP_FILE(p) : "-", p->lineno);
			pexpr(p->expr);
			printf(" vis="); pexpr(p->visible.expr);
			if (p->text) printf(" text=[%s]", p->text);
			printf("\n");
		}
	}
	printf("modules=%s\n", modules_sym ? modules_sym->name : "-");
	return 0;
}
