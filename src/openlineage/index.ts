export { Delivery, type DeliveryOptions } from './delivery.js';
export { LineageRun } from './emitter.js';
export { taskEvent, nameUuid, type EventContext } from './events.js';
export { OPENLINEAGE_META, type DeliveryCounts, type RunEvent } from './types.js';
export { relspecProducer } from './producer.js';
export { LineageSink } from './sink.js';
