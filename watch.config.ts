import { defineConfig } from './src/index.js';

// The embedded default: a code property graph of relspec's own source. The `code` source extracts
// files, symbols, references, calls and imports from src/**/*.ts (TypeScript compiler API) into Delta
// tables under state/code/code/, and examples/cpg/tasks refines them into graph nodes and edges and a
// few analyses. `npm start` builds it; `npm run watch` keeps it fresh while you edit src/.
export default defineConfig({
  sources: {
    code: { format: 'code', path: 'src/**/*.ts' },
  },
  tasks: 'examples/cpg/tasks',
  state: 'state',
});
