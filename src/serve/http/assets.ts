import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's files: index.html, app.js and style.css beside this module, and dagre from node_modules. */
export interface Asset {
  body: string;
  type: string;
}

/**
 * tsc copies no non-TS files into dist/, and the package ships src/: from dist/serve/http/ the page
 * is found in src/serve/http/page/. Everything is served from the package — nothing from the network.
 */
function pageDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'page');
  return existsSync(beside) ? beside : path.resolve(here, '../../../src/serve/http/page');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Reads the assets once per server (they are small) into a name → asset map. */
export function loadAssets(): Map<string, Asset> {
  const dir = pageDir();
  // The package's module sits beside its browser build (dist/dagre.esm.js, dist/dagre.min.js).
  const dagre = path.join(path.dirname(fileURLToPath(import.meta.resolve('@dagrejs/dagre'))), 'dagre.min.js');
  const files: [string, string][] = [
    ['index.html', path.join(dir, 'index.html')],
    ['app.js', path.join(dir, 'app.js')],
    ['style.css', path.join(dir, 'style.css')],
    ['dagre.min.js', dagre],
  ];
  return new Map(files.map(([name, file]) => [name, { body: readFileSync(file, 'utf8'), type: TYPES[path.extname(name)]! }]));
}
