/** The controller's public surface: the reconciler, its pure decisions and its ports. */
export { TraceCollectorController, errorFields, type ControllerDeps, type ControllerOptions } from './controller.js';
export { checkSpec, desiredStatus, describeForbidden, sameStatus, baselineFrom, countersOf, STATUS_COUNTERS, type Outcome } from './decide.js';
export { resolveExporterConfig } from './secrets.js';
export * from './ports.js';
