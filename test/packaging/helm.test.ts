import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import {
  CRD_COPIES,
  CRD_SOURCE,
  RBAC_RULES,
  defaultClusterWideRules,
  parseRbacRules,
  staleFiles,
  type PolicyRule,
} from '../../scripts/sync-packaging.js';
import { validateTraceCollector } from '../../src/api/validate.js';
import { parseOperatorFlags } from '../../src/commands/operator.js';
import { RESOURCES } from '../../src/kube/resources.js';
import { Chart, coalesce, manifests } from './helm-template.js';
import { fromRepo, readJson } from './support.js';

// No Helm binary exists here, so the chart is checked by what can be checked without rendering:
// the values schema against the default and CI values, the values the templates reference, the
// control structure of the templates, the RBAC rules file and the copies that must not drift.

const CHART = 'charts/kspan';
type Values = Record<string, unknown>;

const isObject = (v: unknown): v is Values => v !== null && typeof v === 'object' && !Array.isArray(v);

interface KubeObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}
interface RoleLike extends KubeObject {
  rules: PolicyRule[];
}
interface BindingLike extends KubeObject {
  roleRef: { kind: string; name: string };
  subjects: unknown[];
}
interface DeploymentLike {
  spec: {
    replicas: number;
    strategy: { type: string };
    template: {
      spec: {
        serviceAccountName: string;
        terminationGracePeriodSeconds: number;
        securityContext: Values;
        containers: Array<{
          image: string;
          args: string[];
          env: unknown[];
          ports: Array<{ name: string }>;
          securityContext: Values;
          livenessProbe: { httpGet: unknown };
          readinessProbe: { httpGet: unknown };
        }>;
      };
    };
  };
}

function readYaml<T = Values>(relative: string): T {
  return parse(readFileSync(fromRepo(relative), 'utf8')) as T;
}

function describeError(e: ErrorObject): string {
  const extra = 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : '';
  return `${e.instancePath} ${e.message ?? ''}${extra}`;
}

function compileValuesSchema(): ValidateFunction {
  // strict: the schema must be plain JSON Schema (Helm's validator ignores what it does not know,
  // which would hide a typo in a keyword); union types are used for int-or-percentage values, and
  // `then` requires spec fields that the sibling spec schema defines.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false });
  return ajv.compile(readJson(`${CHART}/values.schema.json`));
}

function templates(): Array<{ name: string; text: string }> {
  const dir = fromRepo(`${CHART}/templates`);
  return readdirSync(dir).map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

/** Every `.Values.a.b` path the templates use (also through `$.Values`). */
function referencedValuePaths(): Set<string> {
  const paths = new Set<string>();
  for (const { text } of templates()) {
    for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) paths.add(match[1]!.slice(1));
  }
  return paths;
}

function hasPath(values: Values, path: string): boolean {
  let node: unknown = values;
  for (const key of path.split('.')) {
    if (!isObject(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

/** Paths of the values that are documented leaves: scalars, lists and empty maps. */
function leafPaths(values: Values, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return isObject(value) && Object.keys(value).length > 0 ? [path, ...leafPaths(value, path)] : [path];
  });
}

const ruleTriples = (rules: PolicyRule[]) =>
  new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))));

describe('Helm chart', () => {
  const defaults = readYaml(`${CHART}/values.yaml`);

  describe('Chart.yaml', () => {
    it('is a v2 application chart whose appVersion is the package version', () => {
      const chart = readYaml<{ apiVersion: string; name: string; appVersion: string; version: string; type: string }>(`${CHART}/Chart.yaml`);
      assert.equal(chart.apiVersion, 'v2');
      assert.equal(chart.name, 'kspan');
      assert.equal(chart.type, 'application');
      assert.match(chart.version, /^\d+\.\d+\.\d+/);
      assert.equal(chart.appVersion, readJson<{ version: string }>('package.json').version);
    });
  });

  describe('values.schema.json', () => {
    const validate = compileValuesSchema();
    const errorsOf = (values: Values) => (validate(values) ? [] : (validate.errors ?? []).map(describeError));

    it('accepts the default values', () => {
      assert.deepEqual(errorsOf(defaults), []);
    });

    const ciFiles = readdirSync(fromRepo(`${CHART}/ci`)).filter((f) => f.endsWith('.yaml'));
    it('has CI values files to check', () => assert.ok(ciFiles.length >= 3, ciFiles.join(', ')));
    for (const file of ciFiles) {
      it(`accepts ci/${file} over the defaults`, () => {
        assert.deepEqual(errorsOf(coalesce(defaults, readYaml(`${CHART}/ci/${file}`))), []);
      });
    }

    const bad: Array<[string, Values, RegExp]> = [
      ['an unknown top-level key', { replicas: 2 }, /must NOT have additional properties/],
      ['a typo in a nested key', { operator: { watchNamespace: ['a'] } }, /must NOT have additional properties/],
      ['a string where an integer belongs', { replicaCount: '2' }, /\/replicaCount must be integer/],
      ['a string where a boolean belongs', { rbac: { create: 'yes' } }, /\/rbac\/create must be boolean/],
      ['a log level that does not exist', { operator: { logLevel: 'verbose' } }, /\/operator\/logLevel must be equal to one of the allowed values/],
      ['an invalid namespace name', { rbac: { namespaces: ['Team_A'] } }, /\/rbac\/namespaces\/0 must match pattern/],
      ['an out-of-range port', { metrics: { port: 70000 } }, /\/metrics\/port must be <= 65535/],
      ['a PodDisruptionBudget that is not a number or percentage', { podDisruptionBudget: { minAvailable: 'half' } }, /minAvailable must match pattern/],
      ['an owner kind without resources', { rbac: { extraOwnerKinds: [{ apiGroup: 'argoproj.io' }] } }, /must have required property 'resources'/],
      ['a typo inside the TraceCollector spec', { traceCollector: { spec: { exporter: { endpont: 'x:4317' } } } }, /\/traceCollector\/spec\/exporter must (NOT have additional properties|have required property 'endpoint')/],
      ['a TraceCollector to create without an exporter', { traceCollector: { create: true } }, /\/traceCollector\/spec must have required property 'exporter'/],
      ['a TraceCollector endpoint without a port', { traceCollector: { create: true, spec: { exporter: { endpoint: 'collector' } } } }, /\/traceCollector\/spec\/exporter\/endpoint must match pattern/],
    ];
    for (const [what, overrides, expected] of bad) {
      it(`rejects ${what}`, () => {
        const errors = errorsOf(coalesce(defaults, overrides));
        assert.ok(errors.some((e) => expected.test(e)), `expected ${expected}, got ${JSON.stringify(errors)}`);
      });
    }

    it('rejects unknown keys in every object it describes', () => {
      const schema = readJson<Values>(`${CHART}/values.schema.json`);
      const open: string[] = [];
      const visit = (node: Values, path: string) => {
        if (node['properties'] !== undefined && node['additionalProperties'] !== false) open.push(path || '/');
        for (const [key, child] of Object.entries((node['properties'] as Record<string, Values> | undefined) ?? {})) visit(child, `${path}/${key}`);
        if (isObject(node['items'])) visit(node['items'], `${path}[]`);
      };
      visit(schema, '');
      assert.deepEqual(open, []);
    });
  });

  describe('templates', () => {
    it('reference only values that exist in values.yaml', () => {
      const missing = [...referencedValuePaths()].filter((path) => !hasPath(defaults, path));
      assert.deepEqual(missing, []);
    });

    it('use every value in values.yaml (no dead, misleading settings)', () => {
      const used = [...referencedValuePaths()];
      const unused = leafPaths(defaults).filter(
        (path) => !used.some((ref) => ref === path || ref.startsWith(`${path}.`) || path.startsWith(`${ref}.`)),
      );
      assert.deepEqual(unused, []);
    });

    it('document every value with a comment', () => {
      // Example data (resource quantities, the sample TraceCollector spec) is documented as a whole.
      const exampleData = ['resources.', 'traceCollector.spec.'];
      const lines = readFileSync(fromRepo(`${CHART}/values.yaml`), 'utf8').split('\n');
      const stack: Array<{ indent: number; key: string }> = [];
      const undocumented: string[] = [];
      lines.forEach((line, i) => {
        const match = /^(\s*)([A-Za-z][A-Za-z0-9]*):(.*)$/.exec(line);
        if (!match) return;
        const indent = match[1]!.length;
        while (stack.length > 0 && stack.at(-1)!.indent >= indent) stack.pop();
        stack.push({ indent, key: match[2]! });
        const path = stack.map((s) => s.key).join('.');
        const isSection = match[3]!.trim() === '';
        if (isSection || exampleData.some((prefix) => path.startsWith(prefix))) return;
        if (!(lines[i - 1]?.trim().startsWith('#') ?? false)) undocumented.push(path);
      });
      assert.deepEqual(undocumented, []);
    });

    it('balance their control structures and include only defined templates', () => {
      const all = templates();
      const defined = new Set(all.flatMap(({ text }) => [...text.matchAll(/{{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1]!)));
      for (const { name, text } of all) {
        const actions = [...text.matchAll(/{{-?\s*(\/\*[\s\S]*?\*\/|[\s\S]*?)\s*-?}}/g)].map((m) => m[1]!.trim());
        let depth = 0;
        for (const action of actions) {
          if (/^(if|range|with|define)\b/.test(action)) depth++;
          else if (action === 'end') depth--;
          assert.ok(depth >= 0, `${name}: {{ end }} without an opening action`);
        }
        assert.equal(depth, 0, `${name}: unclosed if/range/with/define`);
        for (const m of text.matchAll(/include\s+"([^"]+)"/g)) assert.ok(defined.has(m[1]!), `${name} includes undefined ${m[1]}`);
        for (const m of text.matchAll(/\.Files\.Get\s+"([^"]+)"/g)) {
          assert.doesNotThrow(() => readFileSync(fromRepo(`${CHART}/${m[1]}`)), `${name} reads missing file ${m[1]}`);
        }
      }
    });
  });

  describe('RBAC rules (files/rbac-rules.yaml)', () => {
    const rules = parseRbacRules(readFileSync(fromRepo(RBAC_RULES), 'utf8'));

    it('grant every resource the operator reads or writes (src/kube/resources.ts)', () => {
      const all: PolicyRule[] = Object.values(rules).flat();
      const granted = new Set(all.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))));
      for (const type of Object.values(RESOURCES)) assert.ok(granted.has(`${type.group}/${type.plural}`), `${type.group}/${type.plural} is not granted`);
    });

    it('grant exactly what the operator needs, and nothing else', () => {
      const rw = (group: string, resource: string, verbs: string[]) => verbs.map((v) => `${group}/${resource}:${v}`);
      const read = ['get', 'list', 'watch'];
      const expected = new Set([
        ...rw('', 'events', ['list', 'watch']),
        ...rw('', 'namespaces', read),
        ...rw('', 'pods', read),
        ...['replicasets', 'deployments', 'statefulsets', 'daemonsets'].flatMap((r) => rw('apps', r, read)),
        ...['jobs', 'cronjobs'].flatMap((r) => rw('batch', r, read)),
        ...rw('', 'secrets', ['get']),
        ...rw('kspan.dev', 'tracecollectors', ['get', 'list', 'watch', 'update', 'patch']),
        ...rw('kspan.dev', 'tracecollectors/status', ['get', 'update', 'patch']),
        ...rw('kspan.dev', 'tracecollectors/finalizers', ['update']),
        ...rw('coordination.k8s.io', 'leases', ['get', 'create', 'update']),
      ]);
      assert.deepEqual(ruleTriples([...rules.cluster, ...rules.namespaced, ...rules.secrets, ...rules.leaderElection]), expected);
    });

    it('keep cluster-scoped, namespaced, Secret and Lease rights apart', () => {
      assert.deepEqual([...ruleTriples(rules.cluster)].map((t) => t.split(':')[0]).filter((r, i, a) => a.indexOf(r) === i), ['/namespaces']);
      assert.ok([...ruleTriples(rules.namespaced)].every((t) => !t.startsWith('/secrets') && !t.startsWith('coordination')));
      assert.deepEqual(ruleTriples(rules.secrets), new Set(['/secrets:get']));
      assert.ok([...ruleTriples(rules.leaderElection)].every((t) => t.startsWith('coordination.k8s.io/leases:')));
      for (const rule of Object.values(rules).flat()) {
        assert.ok(![...rule.apiGroups, ...rule.resources, ...rule.verbs].includes('*'), 'no wildcards');
      }
    });
  });

  describe('generated copies', () => {
    it('charts/kspan/crds holds the top-level CRDs, byte for byte', () => {
      const source = readdirSync(fromRepo('crds')).filter((f) => f.endsWith('.yaml')).sort();
      const chart = readdirSync(fromRepo(`${CHART}/crds`)).sort();
      assert.deepEqual(chart, source);
      for (const file of source) {
        assert.equal(readFileSync(fromRepo(`${CHART}/crds/${file}`), 'utf8'), readFileSync(fromRepo(`crds/${file}`), 'utf8'), `${file} drifted`);
      }
      assert.ok(CRD_COPIES.some((copy) => copy.startsWith(`${CHART}/crds/`)) && source.includes(CRD_SOURCE.replace('crds/', '')));
    });

    it('are up to date with their sources (run `npx tsx scripts/sync-packaging.ts`)', () => {
      assert.deepEqual(staleFiles(fromRepo('')), []);
    });
  });
});

describe('Helm chart, rendered (test renderer, see helm-template.ts)', () => {
  const chart = new Chart(fromRepo(CHART));
  const release = { name: 'kspan', namespace: 'kspan-system' };
  const render = (overrides: Values = {}) => manifests(chart.render(coalesce(chart.defaults, overrides), release)) as unknown as KubeObject[];
  const ciValues = (file: string) => readYaml(`${CHART}/ci/${file}`);
  const of = (objects: KubeObject[], kind: string, name?: string) => objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  const one = (objects: KubeObject[], kind: string, name?: string) => {
    const found = of(objects, kind, name);
    assert.equal(found.length, 1, `expected one ${kind} ${name ?? ''}, got ${found.length}`);
    return found[0]!;
  };
  const containerOf = (objects: KubeObject[]) => (one(objects, 'Deployment') as unknown as DeploymentLike).spec.template.spec.containers[0]!;

  it('renders the default install: operator, ServiceAccount, RBAC and metrics Service', () => {
    const objects = render();
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      'ClusterRole', 'ClusterRole', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding',
      'Deployment', 'Role', 'RoleBinding', 'Service', 'ServiceAccount',
    ]);
    for (const o of objects) {
      assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], 'kspan', `${o.kind} ${o.metadata.name} labels`);
      assert.ok(o.metadata.name.length <= 63);
      if (!o.kind.startsWith('Cluster')) assert.equal(o.metadata.namespace, 'kspan-system', `${o.kind} ${o.metadata.name}`);
    }
    const container = containerOf(objects);
    const deployment = one(objects, 'Deployment') as unknown as DeploymentLike;
    assert.equal(container.image, `ghcr.io/kspan/kspan:${readJson<{ version: string }>('package.json').version}`);
    assert.deepEqual(container.args, ['--metrics-bind-address=0.0.0.0:8080', '--health-bind-address=0.0.0.0:8081', '--log-level=info', '--shutdown-timeout-seconds=10']);
    assert.deepEqual(container.securityContext, {
      runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      privileged: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
    assert.deepEqual(container.env, [
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    assert.deepEqual(container.ports, [{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }, { name: 'health', containerPort: 8081, protocol: 'TCP' }]);
    assert.deepEqual(deployment.spec.template.spec.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    assert.equal(deployment.spec.template.spec.terminationGracePeriodSeconds, 20);
    assert.equal(deployment.spec.template.spec.serviceAccountName, one(objects, 'ServiceAccount').metadata.name);
  });

  it('grants the default rules cluster-wide and Leases only in the release namespace', () => {
    const rules = parseRbacRules(readFileSync(fromRepo(RBAC_RULES), 'utf8'));
    const objects = render();
    const clusterRules = [...of(objects, 'ClusterRole', 'kspan-cluster'), ...of(objects, 'ClusterRole', 'kspan-manager')].flatMap((r) => (r as RoleLike).rules);
    assert.deepEqual(ruleTriples(clusterRules), ruleTriples(defaultClusterWideRules(rules)));
    assert.deepEqual(ruleTriples((one(objects, 'Role') as RoleLike).rules), ruleTriples(rules.leaderElection));
    for (const binding of [...of(objects, 'ClusterRoleBinding'), ...of(objects, 'RoleBinding')] as BindingLike[]) {
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'kspan', namespace: 'kspan-system' }]);
      one(objects, binding.roleRef.kind, binding.roleRef.name);
    }
  });

  it('with ci/ha-values.yaml: leader election, rolling updates, a PDB and a ServiceMonitor', () => {
    const objects = render(ciValues('ha-values.yaml'));
    const args = containerOf(objects).args;
    assert.ok(args.includes('--leader-elect'));
    assert.ok(args.includes('--leader-election-namespace=kspan-system'));
    assert.ok(args.includes('--leader-election-id=kspan-leader'));
    const deployment = one(objects, 'Deployment') as unknown as DeploymentLike;
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(deployment.spec.strategy.type, 'RollingUpdate');
    const pdb = one(objects, 'PodDisruptionBudget') as unknown as { spec: Values };
    assert.equal(pdb.spec['minAvailable'], 1);
    assert.equal(pdb.spec['maxUnavailable'], undefined);
    const monitor = one(objects, 'ServiceMonitor');
    assert.equal(monitor.metadata.labels?.['release'], 'kube-prometheus-stack');
    const service = one(objects, 'Service') as unknown as { metadata: { labels: Values } };
    const selector = (monitor as unknown as { spec: { selector: { matchLabels: Record<string, string> } } }).spec.selector.matchLabels;
    for (const [k, v] of Object.entries(selector)) assert.equal(service.metadata.labels[k], v, `ServiceMonitor selects ${k}=${v}`);
  });

  it('with ci/multi-tenant-values.yaml: Roles per namespace, Secrets in one, lockdown flag', () => {
    const rules = parseRbacRules(readFileSync(fromRepo(RBAC_RULES), 'utf8'));
    const objects = render(ciValues('multi-tenant-values.yaml'));
    assert.equal(of(objects, 'ClusterRole', 'kspan-manager').length, 0, 'no cluster-wide manager role');
    assert.equal(of(objects, 'ClusterRoleBinding', 'kspan-manager').length, 0);
    const managers = of(objects, 'Role', 'kspan-manager') as RoleLike[];
    assert.deepEqual(managers.map((r) => r.metadata.namespace), ['team-a', 'team-b']);
    const rollouts = { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'list', 'watch'] };
    for (const role of managers) assert.deepEqual(ruleTriples(role.rules), ruleTriples([...rules.namespaced, rollouts]));
    const secretRoles = of(objects, 'Role', 'kspan-secrets') as RoleLike[];
    assert.deepEqual(secretRoles.map((r) => r.metadata.namespace), ['team-a']);
    assert.deepEqual(ruleTriples(secretRoles[0]!.rules), new Set(['/secrets:get']));
    assert.deepEqual(of(objects, 'RoleBinding').map((b) => `${b.metadata.namespace}/${b.metadata.name}`).sort(),
      ['kspan-system/kspan-leader-election', 'team-a/kspan-manager', 'team-a/kspan-secrets', 'team-b/kspan-manager']);
    const args = containerOf(objects).args;
    assert.ok(args.includes('--watch-namespaces=team-a,team-b'));
    assert.ok(args.includes('--no-cross-namespace-refs'));
    assert.ok(args.includes('--log-level=debug'));
  });

  it('with ci/tracecollector-values.yaml: a valid TraceCollector and a pinned image', () => {
    const objects = render(ciValues('tracecollector-values.yaml'));
    const collector = one(objects, 'TraceCollector');
    assert.equal(collector.metadata.namespace, 'kspan-system');
    const result = validateTraceCollector(collector);
    assert.ok(result.valid, JSON.stringify(result.errors));
    assert.match(containerOf(objects).image, /^ghcr\.io\/kspan\/kspan@sha256:0{64}$/);
  });

  it('with metrics disabled: no Service, no metrics port, metrics off', () => {
    const objects = render({ metrics: { enabled: false, serviceMonitor: { enabled: true } } });
    assert.equal(of(objects, 'Service').length + of(objects, 'ServiceMonitor').length, 0);
    const container = containerOf(objects);
    assert.ok(container.args.includes('--metrics-bind-address=0'));
    assert.deepEqual(container.ports.map((p) => p.name), ['health']);
  });

  it('without RBAC and ServiceAccount creation: uses the given ServiceAccount only', () => {
    const objects = render({ rbac: { create: false }, serviceAccount: { create: false, name: 'existing' } });
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['Deployment', 'Service']);
    assert.equal((one(objects, 'Deployment') as unknown as DeploymentLike).spec.template.spec.serviceAccountName, 'existing');
  });

  it('passes flags that `kspan operator` accepts, meaning what the values say', () => {
    const parsed = (overrides: Values) => {
      const flags = parseOperatorFlags(containerOf(render(overrides)).args, {});
      assert.notEqual(flags, 'help');
      return flags as Exclude<typeof flags, 'help'>;
    };
    const defaults = parsed({});
    assert.deepEqual(
      { metrics: defaults.metricsBind, health: defaults.healthBind, leader: defaults.leaderElect, lockdown: defaults.noCrossNamespaceRefs, watch: defaults.watchNamespaces, log: defaults.logLevel, shutdown: defaults.shutdownTimeoutMs },
      { metrics: '0.0.0.0:8080', health: '0.0.0.0:8081', leader: false, lockdown: false, watch: [], log: 'info', shutdown: 10_000 },
    );
    const ha = parsed(ciValues('ha-values.yaml'));
    assert.deepEqual({ leader: ha.leaderElect, ns: ha.leaseNamespace, id: ha.leaseName }, { leader: true, ns: 'kspan-system', id: 'kspan-leader' });
    const tenant = parsed(ciValues('multi-tenant-values.yaml'));
    assert.deepEqual({ watch: tenant.watchNamespaces, lockdown: tenant.noCrossNamespaceRefs, log: tenant.logLevel }, { watch: ['team-a', 'team-b'], lockdown: true, log: 'debug' });
    const custom = parsed({ operator: { watchNamespaces: ['x'], shutdownTimeoutSeconds: 30, extraArgs: ['--resync-interval-seconds=60'] }, metrics: { enabled: false } });
    assert.deepEqual({ watch: custom.watchNamespaces, shutdown: custom.shutdownTimeoutMs, resync: custom.resyncIntervalMs, metrics: custom.metricsBind }, { watch: ['x'], shutdown: 30_000, resync: 60_000, metrics: '0' });
    assert.equal((one(render({ operator: { shutdownTimeoutSeconds: 30 } }), 'Deployment') as unknown as DeploymentLike).spec.template.spec.terminationGracePeriodSeconds, 40);
  });

  it('renders NOTES.txt for every CI values file', () => {
    for (const file of ['ha-values.yaml', 'multi-tenant-values.yaml', 'tracecollector-values.yaml']) {
      const notes = chart.render(coalesce(chart.defaults, ciValues(file)), release).get('NOTES.txt') ?? '';
      assert.match(notes, /kubectl -n kspan-system logs deploy\/kspan/);
    }
  });
});
