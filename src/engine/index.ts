/** The correlation engine's public API (docs/design.md §5). */

export { Correlator } from './correlator.js';
export { engineConfigFromSpec, tickIntervalMs, type EngineSpec } from './config.js';
export { TickSchedule } from './schedule.js';
export { InvalidRuleError, builtInRules } from './rules.js';
export { parseTime, formatTime } from './time.js';
export { refKey, makeRef } from './refs.js';
export { spanIdOfEvent } from './ids.js';
export type * from './types.js';
