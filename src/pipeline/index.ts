export { Pipeline, type PipelineCounters, type PipelineOptions, type PipelineSettings, type PipelineStats } from './pipeline.js';
export type { CorrelatorLike, EngineFactory } from './engine-port.js';
export { eventTimeMs, passesFilter, SeenEvents } from './filter.js';
export { resolveNamespaces, selectorMatches, needsNamespaceWatch, type NamespaceScope } from './namespaces.js';
export * from './ports.js';
