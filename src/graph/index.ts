export * from './model.js';
export { validateGraph, cyclicTasks } from './validate.js';
export { generations } from './schedule.js';
export { descendants, ancestors, criticalPath, transitiveReduction } from './impact.js';
export { graphSignature } from './signature.js';
export { selectTasks } from './select.js';
export { graphToJson, graphToDot, graphToMermaid, graphToText } from './export.js';
