export { createLogger, LOG_LEVELS, type LogLevel } from './logger.js';
export { OperatorMetrics, type CollectorNumbers, type MetricsSources } from './metrics.js';
export { HttpServer, parseBindAddress, type HttpEndpoints, type Probe } from './http.js';
