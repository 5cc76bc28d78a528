// A static server on 127.0.0.1 for the test pages and the editors' ESM files from
// node_modules (no CDN). Pages get an inline import map in place of <!--importmap-->.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = path.resolve(here, '..');
const pagesDir = path.join(e2e, 'pages');
const modulesDir = path.join(e2e, 'node_modules');
// The editors' entry points; every bare import they reach (packages, a package's subpath
// exports) is found by reading the files and mapped too, so the list names only roots.
const ROOTS = ['prosemirror-state', 'prosemirror-view', 'prosemirror-model', 'prosemirror-schema-basic',
  'prosemirror-keymap', 'prosemirror-commands', '@codemirror/state', '@codemirror/view',
  'lexical', '@lexical/rich-text', '@lexical/plain-text', '@lexical/html', '@lexical/clipboard'];
// Conditions in the order a browser build would pick them (Lexical's "development" is an
// ES module with readable errors; its default is CommonJS).
const CONDITIONS = ['development', 'browser', 'import', 'module', 'default'];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.png': 'image/png' };

function pick(target) {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const found = pick(t);
      if (found) return found;
    }
    return null;
  }
  if (target && typeof target === 'object') {
    for (const c of CONDITIONS) if (c in target) {
      const found = pick(target[c]);
      if (found) return found;
    }
  }
  return null;
}

// "name" or "name/sub" (scoped names included) to its file under node_modules, as a URL path.
function entryOf(specifier) {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const sub = '.' + specifier.slice(name.length);
  const pkg = JSON.parse(fs.readFileSync(path.join(modulesDir, name, 'package.json'), 'utf8'));
  let file = null;
  if (pkg.exports) {
    const exp = typeof pkg.exports === 'string' || Array.isArray(pkg.exports) || !Object.keys(pkg.exports)[0].startsWith('.')
      ? { '.': pkg.exports } : pkg.exports;
    file = pick(exp[sub]);
  }
  if (!file && sub === '.') file = pkg.module || pkg.main || 'index.js';
  if (!file) file = sub;
  if (!path.extname(file)) file += '.js';
  return `/node_modules/${name}/${file.replace(/^\.\//, '')}`;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n]+)\1/g;

function importMap() {
  const imports = {};
  const seen = new Set();
  const files = [];
  const addBare = (spec) => {
    if (Object.hasOwn(imports, spec)) return;
    imports[spec] = entryOf(spec);
    files.push(imports[spec]);
  };
  ROOTS.forEach(addBare);
  while (files.length) {
    const urlPath = files.pop();
    if (seen.has(urlPath)) continue;
    seen.add(urlPath);
    const file = resolve(urlPath);
    if (!file || !fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[2];
      if (spec.startsWith('.') || spec.startsWith('/')) files.push(path.posix.join(path.posix.dirname(urlPath), spec));
      else if (/^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]+)?$/.test(spec) && !spec.startsWith('node:')) {
        try {
          addBare(spec);
        } catch {
          // A name in a comment or string that is no installed package: nothing to map.
        }
      }
    }
  }
  return `<script type="importmap">${JSON.stringify({ imports })}</script>`;
}

function resolve(urlPath) {
  const clean = decodeURIComponent(urlPath.split('?')[0]);
  const [root, rest] = clean.startsWith('/node_modules/')
    ? [modulesDir, clean.slice('/node_modules/'.length)]
    : [pagesDir, clean.slice(1) || 'index.html'];
  const file = path.resolve(root, rest);
  return file.startsWith(root + path.sep) ? file : null;
}

export async function startServer() {
  const map = importMap();
  const server = http.createServer((req, res) => {
    const file = resolve(req.url);
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    let body = fs.readFileSync(file);
    const type = TYPES[path.extname(file)] || 'application/octet-stream';
    if (type === 'text/html') body = Buffer.from(body.toString('utf8').replace('<!--importmap-->', map));
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((r) => server.close(r)) };
}
