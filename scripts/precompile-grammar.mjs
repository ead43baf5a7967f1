// Precompile grammar/kconfig.ohm into an Ohm recipe (dist/grammar/kconfig.recipe.json) so that
// src/kconfig/grammar.ts does not compile the grammar at start-up. The recipe embeds the grammar
// source; the loader uses it only while it still equals grammar/kconfig.ohm.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ohm from 'ohm-js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = readFileSync(join(root, 'grammar', 'kconfig.ohm'), 'utf8');
const g = ohm.grammar(source);
const recipe = g.toRecipe();
JSON.parse(recipe); // must be plain JSON for ohm.makeRecipe()
mkdirSync(join(root, 'dist', 'grammar'), { recursive: true });
// The whole .ohm text goes along: the loader uses the recipe only while the text is unchanged.
writeFileSync(join(root, 'dist', 'grammar', 'kconfig.recipe.json'), JSON.stringify({ source, recipe }));
console.log(`precompiled grammar/kconfig.ohm -> dist/grammar/kconfig.recipe.json (${recipe.length} bytes)`);
