import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { validateTraceCollector } from '../../src/api/validate.js';
import { CRD_SOURCE, RBAC_RULES, defaultClusterWideRules, parseRbacRules, type PolicyRule } from '../../scripts/sync-packaging.js';
import { Chart, coalesce, manifests } from './helm-template.js';
import { fromRepo, readJson } from './support.js';

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface Container {
  name: string;
  image: string;
  args: string[];
  env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  ports: Array<{ name: string; containerPort: number }>;
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}

const kubectlAvailable = !spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 }).error;

async function kustomize(dir: string): Promise<KubeObject[]> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', fromRepo(dir)], { timeout: 60_000, maxBuffer: 16 << 20 });
  return parseAllDocuments(stdout).map((doc) => doc.toJS() as KubeObject);
}

const ruleTriples = (rules: PolicyRule[]) =>
  new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))));

describe('kustomize config', function () {
  let objects: KubeObject[] = [];
  const find = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    assert.ok(found, `no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
    return found;
  };
  const container = () => {
    const deployment = find('Deployment', 'kspan-controller-manager') as unknown as { spec: { template: { spec: { containers: Container[] } } } };
    return deployment.spec.template.spec.containers[0]!;
  };
  const chartValues = parse(readFileSync(fromRepo('charts/kspan/values.yaml'), 'utf8')) as {
    image: { repository: string };
    metrics: { port: number };
    health: { port: number };
    operator: { logLevel: string; shutdownTimeoutSeconds: number };
  };

  // The Helm chart with its default values, rendered by the test renderer.
  const chart = new Chart(fromRepo('charts/kspan'));
  const helmObjects = manifests(chart.render(coalesce(chart.defaults, {}), { name: 'kspan', namespace: 'kspan-system' })) as unknown as KubeObject[];
  const helmContainer = () =>
    (helmObjects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0]!;

  before(async function () {
    if (!kubectlAvailable) {
      console.warn('    kubectl is not installed: skipping the kustomize rendering tests');
      this.skip();
    }
    objects = await kustomize('config/default');
  });

  it('renders the CRD, the namespace, RBAC, the metrics Service and the operator', () => {
    const kinds = objects.map((o) => o.kind).sort();
    assert.deepEqual(kinds, [
      'ClusterRole', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment',
      'Namespace', 'Role', 'RoleBinding', 'Service', 'ServiceAccount',
    ]);
  });

  it('puts everything namespaced in kspan-system and prefixes names with kspan-', () => {
    assert.equal(find('Namespace', 'kspan-system').kind, 'Namespace');
    for (const o of objects) {
      if (['Namespace', 'CustomResourceDefinition'].includes(o.kind)) continue;
      assert.match(o.metadata.name, /^kspan-/, `${o.kind} ${o.metadata.name}`);
      const clusterScoped = ['ClusterRole', 'ClusterRoleBinding'].includes(o.kind);
      assert.equal(o.metadata.namespace, clusterScoped ? undefined : 'kspan-system', `${o.kind} ${o.metadata.name}`);
    }
  });

  it('installs the CRD from crds/ unchanged', () => {
    const crd = find('CustomResourceDefinition', 'tracecollectors.kspan.dev');
    const source = parse(readFileSync(fromRepo(CRD_SOURCE), 'utf8')) as KubeObject;
    // kustomize adds the common labels; everything else must be the source.
    const { labels: _labels, ...metadata } = crd.metadata;
    const { labels: _sourceLabels, ...sourceMetadata } = source.metadata;
    assert.deepEqual({ ...crd, metadata }, { ...source, metadata: sourceMetadata });
  });

  it('runs the released image of the chart repository', () => {
    const { version } = readJson<{ version: string }>('package.json');
    assert.equal(container().image, `${chartValues.image.repository}:${version}`);
  });

  it('passes the same operator flags as the Helm chart with its default values', () => {
    const values = chartValues;
    assert.deepEqual(container().args, helmContainer().args);
    assert.deepEqual(container().args, [
      `--metrics-bind-address=0.0.0.0:${values.metrics.port}`,
      `--health-bind-address=0.0.0.0:${values.health.port}`,
      `--log-level=${values.operator.logLevel}`,
      `--shutdown-timeout-seconds=${values.operator.shutdownTimeoutSeconds}`,
    ]);
    assert.deepEqual(container().ports, helmContainer().ports);
    assert.deepEqual(container().livenessProbe, helmContainer().livenessProbe);
    assert.deepEqual(container().readinessProbe, helmContainer().readinessProbe);
    assert.deepEqual(container().env, helmContainer().env);
    const ports = Object.fromEntries(container().ports.map((p) => [p.name, p.containerPort]));
    assert.deepEqual(ports, { metrics: values.metrics.port, health: values.health.port });
    assert.equal(container().livenessProbe.httpGet.path, '/healthz');
    assert.equal(container().readinessProbe.httpGet.path, '/readyz');
    assert.equal(container().livenessProbe.httpGet.port, 'health');
    const env = Object.fromEntries(container().env.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    assert.deepEqual(env, { POD_NAMESPACE: 'metadata.namespace', POD_NAME: 'metadata.name' });
  });

  it('locks the container down', () => {
    const deployment = find('Deployment', 'kspan-controller-manager') as unknown as {
      spec: { replicas: number; strategy: { type: string }; template: { spec: { serviceAccountName: string; securityContext: Record<string, unknown> } } };
    };
    assert.deepEqual(container().securityContext, helmContainer().securityContext);
    assert.deepEqual(container().securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(deployment.spec.template.spec.securityContext['runAsNonRoot'], true);
    assert.equal(deployment.spec.template.spec.serviceAccountName, 'kspan-controller-manager');
    // One replica without --leader-elect must never overlap with its successor.
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate');
  });

  it('grants the same RBAC rules as the Helm chart with its default values', () => {
    const rules = parseRbacRules(readFileSync(fromRepo(RBAC_RULES), 'utf8'));
    const manager = find('ClusterRole', 'kspan-manager-role') as KubeObject & { rules: PolicyRule[] };
    const helmClusterWide = helmObjects
      .filter((o) => o.kind === 'ClusterRole' && ['kspan-cluster', 'kspan-manager'].includes(o.metadata.name))
      .flatMap((o) => (o as KubeObject & { rules: PolicyRule[] }).rules);
    assert.deepEqual(ruleTriples(manager.rules), ruleTriples(helmClusterWide));
    assert.deepEqual(ruleTriples(manager.rules), ruleTriples(defaultClusterWideRules(rules)));

    const leader = find('Role', 'kspan-leader-election-role') as KubeObject & { rules: PolicyRule[] };
    const helmLeader = helmObjects.find((o) => o.kind === 'Role') as KubeObject & { rules: PolicyRule[] };
    assert.deepEqual(ruleTriples(leader.rules), ruleTriples(helmLeader.rules));
    assert.deepEqual(ruleTriples(leader.rules), ruleTriples(rules.leaderElection));
    assert.equal(leader.metadata.namespace, 'kspan-system');

    // The aggregated TraceCollector editor/viewer roles match too.
    for (const [kustomizeName, helmName] of [['kspan-tracecollector-editor-role', 'kspan-tracecollector-editor'], ['kspan-tracecollector-viewer-role', 'kspan-tracecollector-viewer']]) {
      const ours = find('ClusterRole', kustomizeName!) as KubeObject & { rules: PolicyRule[] };
      const helm = helmObjects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === helmName) as KubeObject & { rules: PolicyRule[] };
      assert.deepEqual(ruleTriples(ours.rules), ruleTriples(helm.rules));
      const aggregation = (o: KubeObject) => Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('rbac.authorization.k8s.io/')).sort();
      assert.deepEqual(aggregation(ours), aggregation(helm));
    }
  });

  it('binds the roles to the operator ServiceAccount', () => {
    const subject = { kind: 'ServiceAccount', name: 'kspan-controller-manager', namespace: 'kspan-system' };
    for (const [kind, name, roleKind, roleName] of [
      ['ClusterRoleBinding', 'kspan-manager-rolebinding', 'ClusterRole', 'kspan-manager-role'],
      ['RoleBinding', 'kspan-leader-election-rolebinding', 'Role', 'kspan-leader-election-role'],
    ] as const) {
      const binding = find(kind, name) as KubeObject & { roleRef: { kind: string; name: string }; subjects: unknown[] };
      assert.deepEqual(binding.subjects, [subject]);
      assert.deepEqual({ kind: binding.roleRef.kind, name: binding.roleRef.name }, { kind: roleKind, name: roleName });
      find(roleKind, roleName);
    }
    find('ServiceAccount', 'kspan-controller-manager');
  });

  it('renders samples that are valid TraceCollectors', async () => {
    const samples = await kustomize('config/samples');
    assert.ok(samples.length > 0);
    for (const sample of samples) {
      const result = validateTraceCollector(sample);
      assert.ok(result.valid, `${sample.metadata.name}: ${JSON.stringify(result.errors)}`);
    }
  });
});
