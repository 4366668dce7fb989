export * from './model.js';
export { validateGraph, cyclicTasks } from './validate.js';
export { generations, byPriorityThenName } from './schedule.js';
export { descendants, ancestors, criticalPath, transitiveReduction, taskDependencies } from './impact.js';
export { graphSignature } from './signature.js';
export { selectTasks } from './select.js';
export { graphToJson, graphToDot, graphToMermaid, graphToText, type GraphJson } from './export.js';
