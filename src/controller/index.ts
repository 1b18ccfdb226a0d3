export { TraceCollectorController, FINALIZER, errorFields, type ControllerDeps, type ControllerOptions } from './controller.js';
export { checkSpec, desiredStatus, describeForbidden, sameStatus, baselineFrom, type Outcome } from './decide.js';
export { resolveExporterConfig } from './secrets.js';
export * from './ports.js';
