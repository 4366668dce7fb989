export * from './types.js';
export * from './names.js';
export { catalogTasks, taskNameOf } from './catalog.js';
export { parseHeader } from './header.js';
