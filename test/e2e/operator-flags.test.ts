import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { TraceCollectorStatus } from '../../src/api/types.js';
import { operatorCommand, parseOperatorFlags } from '../../src/commands/operator.js';
import { sleep, startEnv, waitFor, type Env } from './harness.js';

describe('kspan operator flags', () => {
  it('has the documented defaults', () => {
    const flags = parseOperatorFlags([], {});
    assert.ok(flags !== 'help');
    assert.deepEqual(flags.watchNamespaces, []);
    assert.equal(flags.metricsBind, '0.0.0.0:8080');
    assert.equal(flags.healthBind, '0.0.0.0:8081');
    assert.equal(flags.leaderElect, false);
    assert.equal(flags.leaseNamespace, 'kspan-system');
    assert.equal(flags.leaseName, 'kspan-leader');
    assert.equal(flags.noCrossNamespaceRefs, false);
    assert.equal(flags.logLevel, 'info');
    assert.equal(flags.shutdownTimeoutMs, 10_000);
    assert.equal(flags.statusIntervalMs, 5_000);
  });

  it('reads every flag of the contract, and $POD_NAMESPACE for the Lease', () => {
    const flags = parseOperatorFlags(
      [
        '--kubeconfig', '/k', '--watch-namespaces', 'a, b', '--metrics-bind-address', '0', '--health-bind-address', ':9',
        '--leader-elect', '--leader-election-id', 'x', '--no-cross-namespace-refs', '--log-level', 'debug',
        '--shutdown-timeout-seconds', '3', '--status-interval-seconds', '0.5',
      ],
      { POD_NAMESPACE: 'ops' },
    );
    assert.ok(flags !== 'help');
    assert.equal(flags.kubeconfig, '/k');
    assert.deepEqual(flags.watchNamespaces, ['a', 'b']);
    assert.equal(flags.metricsBind, '0');
    assert.equal(flags.leaderElect, true);
    assert.equal(flags.leaseNamespace, 'ops');
    assert.equal(flags.leaseName, 'x');
    assert.equal(flags.noCrossNamespaceRefs, true);
    assert.equal(flags.logLevel, 'debug');
    assert.equal(flags.shutdownTimeoutMs, 3000);
    assert.equal(flags.statusIntervalMs, 500);
  });

  it('rejects bad values with a one-line reason', async () => {
    // operatorCommand, not main(): under tsx a dynamically imported module can be a second
    // instance, so main()'s `instanceof UserError` would not see this one.
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
    const userError = (exitCode: number, message: RegExp) => (err: unknown) =>
      err instanceof Error && err.name === 'UserError' && (err as { exitCode?: number }).exitCode === exitCode && message.test(err.message);
    await assert.rejects(operatorCommand(['--log-level', 'loud'], io), userError(2, /--log-level: want one of debug, info, warn, error, got "loud"/));
    await assert.rejects(operatorCommand(['--shutdown-timeout-seconds', 'soon'], io), userError(2, /--shutdown-timeout-seconds/));
    await assert.rejects(operatorCommand(['--frobnicate'], io), (err: unknown) => err instanceof TypeError);
    await assert.rejects(
      operatorCommand(['--kubeconfig', '/nonexistent/kubeconfig', '--metrics-bind-address', '0', '--health-bind-address', '0'], io),
      userError(1, /nonexistent/),
    );
  });

  it('prints its usage with --help', async () => {
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => (text += c.toString()));
    assert.equal(await operatorCommand(['--help'], { stdout, stderr: new PassThrough(), env: {} }), 0);
    assert.match(text, /--no-cross-namespace-refs/);
  });
});

describe('kspan operator wiring', function () {
  this.timeout(60_000);
  let env: Env | undefined;
  after(async () => {
    await env?.close();
  });

  it('reconciles from its TraceCollector watch: not one GET of a TraceCollector', async () => {
    env = await startEnv();
    await env.startOperator();
    // Read straight from the test server's store: the counts below are the operator's alone.
    const tc = () =>
      env?.api.get('kspan.dev/v1alpha1', 'TraceCollector', 'kspan-system', 'tc') as
        | { metadata: { finalizers?: string[] }; status?: TraceCollectorStatus }
        | undefined;
    const ready = () => tc()?.status?.conditions?.find((c) => c.type === 'Ready');
    await env.kubectl.applyTraceCollector('kspan-system', 'tc', { exporter: { endpoint: env.receiver.endpoint, insecure: true } });
    await waitFor('Ready=True', () => ready()?.status === 'True');
    await sleep(1000); // a few status refreshes (--status-interval-seconds 0.3)
    await env.kubectl.patchTraceCollector('kspan-system', 'tc', { spec: { suspend: true } });
    await waitFor('Suspended', () => ready()?.reason === 'Suspended' && ready()?.observedGeneration === 2);
    await env.kubectl.deleteTraceCollector('kspan-system', 'tc');
    await waitFor('the TraceCollector is gone', () => tc() === undefined);
    const counts = env.api.requestCounts();
    assert.equal(counts['get tracecollectors'] ?? 0, 0, JSON.stringify(counts));
    assert.ok((counts['patch tracecollectors/status'] ?? 0) >= 2, JSON.stringify(counts));
  });
});
