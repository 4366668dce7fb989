export { Delivery } from './delivery.js';
export { LineageRun } from './emitter.js';
export { LineageSink } from './sink.js';
export { relspecProducer } from './producer.js';
export type { DeliveryCounts, RunEvent } from './types.js';
