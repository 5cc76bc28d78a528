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
const PACKAGES = ['prosemirror-state', 'prosemirror-view', 'prosemirror-model', 'prosemirror-transform',
  'prosemirror-schema-basic', 'prosemirror-keymap', 'prosemirror-commands', 'orderedmap', 'w3c-keyname',
  '@codemirror/state', '@codemirror/view', 'style-mod', 'crelt', '@marijn/find-cluster-break'];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.png': 'image/png' };

function entryOf(name) {
  const pkg = JSON.parse(fs.readFileSync(path.join(modulesDir, name, 'package.json'), 'utf8'));
  const dot = pkg.exports && (pkg.exports['.'] || pkg.exports);
  const file = (dot && (dot.import || dot.default)) || pkg.module || pkg.main;
  return `/node_modules/${name}/${file.replace(/^\.\//, '')}`;
}

function importMap() {
  const imports = {};
  for (const name of PACKAGES) imports[name] = entryOf(name);
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
