// Bundle the compiled CLI (dist/cli/main.js and everything it imports, packages included) into
// one CommonJS file, dist/cli/bundle.cjs, that the command's launcher (src/cli/kbuildts.cts)
// compiles with a V8 code cache (why, and what it saves: that file's comment).
//
// What the bundle keeps from the per-file layout: `import.meta.url` of each source file becomes
// that file's own URL in dist/ (computed from the bundle's __dirname), so that the files found
// relative to it (grammar/, templates/, the worker scripts, the hashes of the engine's own files
// in the cache keys) are the same as when the ES modules run; createRequire(import.meta.url)
// loads ohm-js and fast-glob from node_modules at run time, as before.
//
// The first line of the bundle is `// kbuildts-bundle <sha1 of the rest>`: the launcher keys its
// code cache by it (V8 itself checks only the source's length).
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'cli', 'bundle.cjs');

/** esbuild plugin: `import.meta.url` in a dist/ file -> that file's URL, found from the bundle's place. */
const importMetaUrl = {
  name: 'import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(dist + '/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const rel = relative(dirname(out), args.path);
      const url = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(rel)})).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js' };
    });
  },
};

const result = await build({
  entryPoints: [join(dist, 'cli', 'main.js')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  write: false,
  outfile: out,
  plugins: [importMetaUrl],
  legalComments: 'none',
  logLevel: 'warning',
});
// The entry's #! line goes: the launcher wraps the text in a function before compiling it.
const body = result.outputFiles[0].text.replace(/^#![^\n]*\n/, '');
const id = createHash('sha1').update(body).digest('hex');
await writeFile(out, `// kbuildts-bundle ${id}\n${body}`);
console.log(`bundled dist/cli/main.js -> ${relative(root, out)} (${(Buffer.byteLength(body) / 1024).toFixed(0)} KiB, ${id.slice(0, 12)})`);
