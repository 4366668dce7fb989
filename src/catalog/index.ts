export * from './types.js';
export * from './names.js';
export { catalogTasks, readTaskFile, taskNameOf, type CatalogResult } from './catalog.js';
export { parseHeader } from './header.js';
