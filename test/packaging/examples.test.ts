import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { validateTraceCollector } from '../../src/api/validate.js';
import type { TraceCollector } from '../../src/api/types.js';
import { fromRepo } from './support.js';

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  type?: string;
  stringData?: Record<string, string>;
  data?: Record<string, string>;
}

// examples/recordings holds capture files (NDJSON) owned by the engine; everything else is ours.
function exampleYamlFiles(dir = fromRepo('examples')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'recordings' ? [] : exampleYamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

function manifestsOf(path: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  for (const doc of docs) {
    assert.deepEqual(doc.errors.map((e) => e.message), [], `${path} does not parse`);
  }
  return docs.map((doc) => doc.toJS() as Manifest).filter((m) => m !== null);
}

describe('examples', () => {
  const files = exampleYamlFiles();
  const name = (path: string) => relative(fromRepo('examples'), path);

  it('cover the documented scenarios', () => {
    const names = files.map(name);
    for (const expected of ['single-namespace.yaml', 'all-namespaces.yaml', 'namespace-selector.yaml', 'honeycomb-headers.yaml',
      'tls-collector.yaml', 'argo-rollouts-owner-kind.yaml', 'local-jaeger/tracecollector.yaml']) {
      assert.ok(names.includes(expected), `missing examples/${expected}`);
    }
  });

  for (const path of files) {
    describe(name(path), () => {
      const manifests = manifestsOf(path);
      const isKustomization = manifests.some((m) => m.kind === 'Kustomization');

      it('parses, and every document is a Kubernetes object', () => {
        assert.ok(manifests.length > 0);
        for (const m of manifests) {
          assert.ok(m.apiVersion && m.kind && (isKustomization || m.metadata?.name), `${name(path)}: incomplete object`);
        }
      });

      const collectors = manifests.filter((m) => m.kind === 'TraceCollector');
      for (const collector of collectors) {
        it(`TraceCollector ${collector.metadata?.name} is kspan.dev/v1alpha1 and valid`, () => {
          assert.equal(collector.apiVersion, 'kspan.dev/v1alpha1');
          const result = validateTraceCollector(collector);
          assert.ok(result.valid, JSON.stringify(result.errors));
        });

        it(`TraceCollector ${collector.metadata?.name} finds its Secrets next to it`, () => {
          const tc = collector as unknown as TraceCollector;
          const secrets = manifests.filter((m) => m.kind === 'Secret');
          const secret = (ref: string) => {
            const found = secrets.find((s) => s.metadata?.name === ref);
            assert.ok(found, `Secret ${ref} is not in ${name(path)}`);
            assert.equal(found.metadata?.namespace, tc.metadata.namespace, `Secret ${ref} must be in the TraceCollector's namespace`);
            return { ...found.data, ...found.stringData };
          };
          const { headersSecretRef, tls } = tc.spec.exporter;
          if (headersSecretRef) assert.ok(Object.keys(secret(headersSecretRef.name)).length > 0);
          if (tls?.caSecretRef) assert.ok((tls.caSecretRef.key ?? 'ca.crt') in secret(tls.caSecretRef.name), 'CA key missing');
          if (tls?.certSecretRef) assert.deepEqual(Object.keys(secret(tls.certSecretRef.name)).sort(), ['tls.crt', 'tls.key']);
        });
      }
    });
  }

  it('the Argo Rollouts rule names the ReplicaSet in the messages the rollouts-controller records', () => {
    const [collector] = manifestsOf(fromRepo('examples/argo-rollouts-owner-kind.yaml')) as unknown as TraceCollector[];
    const rule = collector!.spec.ownerKindRules![0]!;
    const pattern = new RegExp(rule.messagePattern);
    for (const message of ['Created ReplicaSet shop-7d4b9c8f6 (revision 3)', 'Scaled up ReplicaSet shop-7d4b9c8f6 (revision 3) from 0 to 1',
      'Scaled down ReplicaSet shop-5f6c7d8e9 (revision 2) from 1 to 0']) {
      assert.match(message, pattern);
    }
    assert.equal(pattern.exec('Scaled down ReplicaSet shop-5f6c7d8e9 (revision 2) from 1 to 0')?.groups?.['name'], 'shop-5f6c7d8e9');
    assert.doesNotMatch('Rollout is paused (CanaryPauseStep)', pattern);
  });

  const kubectl = !spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 }).error;
  it('kustomizations under examples/ render', async function () {
    if (!kubectl) {
      console.warn('    kubectl is not installed: skipping');
      this.skip();
    }
    const dirs = files.filter((f) => /kustomization\.yaml$/.test(f)).map((f) => join(f, '..'));
    assert.ok(dirs.length > 0 && dirs.every((d) => existsSync(d)));
    for (const dir of dirs) {
      const { stdout } = await promisify(execFile)('kubectl', ['kustomize', dir], { timeout: 60_000 });
      assert.match(stdout, /kind: TraceCollector/, `${name(dir)} renders no TraceCollector`);
    }
  });
});
