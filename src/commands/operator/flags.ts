/** `kspan operator`'s command line: its usage text and the parsing of its flags into OperatorFlags. */

import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../../observability/index.js';
import { UserError } from '../command.js';

export const OPERATOR_USAGE = `Usage: kspan operator [options]

Runs the TraceCollector operator: reconciles TraceCollectors into event pipelines that export
OpenTelemetry traces, and writes their status back.

Options:
  --kubeconfig PATH                 kubeconfig file (else $KUBECONFIG, else in-cluster config)
  --watch-namespaces a,b            namespaces whose TraceCollectors are managed (default: all)
  --metrics-bind-address ADDR       /metrics address (default 0.0.0.0:8080; "0" disables)
  --health-bind-address ADDR        /healthz and /readyz address (default 0.0.0.0:8081; "0" disables)
  --leader-elect                    elect a leader through a Lease; only the leader runs pipelines
  --leader-election-namespace NS    Lease namespace (default $POD_NAMESPACE, else kspan-system)
  --leader-election-id NAME         Lease name (default kspan-leader)
  --no-cross-namespace-refs         a TraceCollector may only watch its own namespace
  --log-level LEVEL                 debug, info, warn or error (default info)
  --shutdown-timeout-seconds N      time allowed to flush and stop on SIGTERM (default 10)
  --record-dir DIR                  where TraceCollectors with spec.debug.recordInput record their
                                    pipeline's input (default: none; such collectors log a warning)
  --checkpoint-interval-seconds N   spans leave in rounds at most every N s, each recorded in the
                                    collector's status.checkpoint, so that a new leader or a restart
                                    continues without loss or duplicates (default 1; 0: no checkpoints,
                                    SIGTERM flushes, a restart skips the events of the gap)

Advanced (tuning, mostly for tests):
  --status-interval-seconds N       at most one status patch per collector per N s (default 5)
  --resync-interval-seconds N       reconcile every collector again after N s, re-reading Secrets (default 300)
  --lease-duration-seconds N        leader lease duration (default 15)
  --lease-renew-deadline-seconds N  the leader steps down when it cannot renew for N s (default 10)
  --lease-retry-period-seconds N    pause between leader election attempts (default 2)
`;

export interface OperatorFlags {
  kubeconfig?: string;
  watchNamespaces: string[];
  metricsBind: string;
  healthBind: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  noCrossNamespaceRefs: boolean;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  statusIntervalMs: number;
  resyncIntervalMs: number;
  lease: { duration: number; renewDeadline: number; retryPeriod: number };
  /** spec.debug.recordInput writes here; absent: no recordings */
  recordDir?: string;
  /** docs/design.md §4.8; 0: no checkpoints */
  checkpointIntervalMs: number;
}

function seconds(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UserError(`--${name}: want a number of seconds >= ${min}, got "${value}"`);
  return n;
}

export function parseOperatorFlags(args: string[], env: NodeJS.ProcessEnv): OperatorFlags | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      kubeconfig: { type: 'string' },
      'watch-namespaces': { type: 'string' },
      'metrics-bind-address': { type: 'string' },
      'health-bind-address': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string' },
      'no-cross-namespace-refs': { type: 'boolean' },
      'log-level': { type: 'string' },
      'shutdown-timeout-seconds': { type: 'string' },
      'status-interval-seconds': { type: 'string' },
      'resync-interval-seconds': { type: 'string' },
      'lease-duration-seconds': { type: 'string' },
      'lease-renew-deadline-seconds': { type: 'string' },
      'lease-retry-period-seconds': { type: 'string' },
      'record-dir': { type: 'string' },
      'checkpoint-interval-seconds': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new UserError(`--log-level: want one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const flags: OperatorFlags = {
    watchNamespaces: (values['watch-namespaces'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    metricsBind: values['metrics-bind-address'] ?? '0.0.0.0:8080',
    healthBind: values['health-bind-address'] ?? '0.0.0.0:8081',
    leaderElect: values['leader-elect'] ?? false,
    leaseNamespace: values['leader-election-namespace'] ?? env['POD_NAMESPACE'] ?? 'kspan-system',
    leaseName: values['leader-election-id'] ?? 'kspan-leader',
    noCrossNamespaceRefs: values['no-cross-namespace-refs'] ?? false,
    logLevel,
    shutdownTimeoutMs: seconds('shutdown-timeout-seconds', values['shutdown-timeout-seconds'], 10, 1) * 1000,
    statusIntervalMs: seconds('status-interval-seconds', values['status-interval-seconds'], 5, 0.05) * 1000,
    resyncIntervalMs: seconds('resync-interval-seconds', values['resync-interval-seconds'], 300, 0.1) * 1000,
    checkpointIntervalMs: seconds('checkpoint-interval-seconds', values['checkpoint-interval-seconds'], 1, 0) * 1000,
    lease: {
      duration: seconds('lease-duration-seconds', values['lease-duration-seconds'], 15, 1),
      renewDeadline: seconds('lease-renew-deadline-seconds', values['lease-renew-deadline-seconds'], 10, 0.5),
      retryPeriod: seconds('lease-retry-period-seconds', values['lease-retry-period-seconds'], 2, 0.1),
    },
  };
  if (values.kubeconfig !== undefined) flags.kubeconfig = values.kubeconfig;
  if (values['record-dir'] !== undefined) {
    if (values['record-dir'] === '') throw new UserError('--record-dir: want a directory');
    flags.recordDir = values['record-dir'];
  }
  return flags;
}
