// Captures hold projected objects (docs/design.md §6): projecting one again must give what the live cache had.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ObjectProjector } from '../../src/engine/projection.js';
import type { KubeObject } from '../../src/engine/types.js';
import { MemoryObjectLookup } from '../../src/replay/object-lookup.js';
import { readRecords, recordingsDir, sharedFixture } from './support.js';

const files = [sharedFixture('deployment-2-pods.ndjson'), ...readdirSync(recordingsDir).filter((f) => f.endsWith('.ndjson')).sort().map((f) => path.join(recordingsDir, f))];

/** Plain data, as a capture line holds it. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('replay: the projection is idempotent on recorded objects', () => {
  for (const file of files) {
    const objects = readRecords(file).flatMap((r) => (r.kind === 'object' ? [r.object] : []));

    it(`${path.basename(file)}: project(project(x)) equals project(x), also through JSON`, () => {
      assert.ok(objects.length > 0);
      for (const object of objects) {
        const once = new ObjectProjector().project(object);
        assert.ok(once, `${object.kind} ${object.metadata.name} projects`);
        assert.deepEqual(asJson(new ObjectProjector().project(once)), asJson(once), `${object.kind} ${object.metadata.name}`);
        assert.deepEqual(asJson(new ObjectProjector().project(asJson(once) as KubeObject)), asJson(once), `${object.kind} ${object.metadata.name} from JSON`);
      }
    });

    it(`${path.basename(file)}: a replay lookup fed projected records holds what one fed raw records holds`, () => {
      const raw = new MemoryObjectLookup();
      const projected = new MemoryObjectLookup();
      const projector = new ObjectProjector();
      const last = new Map<string, KubeObject>();
      for (const object of objects) {
        const key = `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
        const p = projector.project(object, last.get(key))!;
        last.set(key, p);
        const a = raw.record(object);
        const b = projected.record(asJson(p) as KubeObject);
        assert.equal(b === undefined, a === undefined, `${key}: the same versions count as changes`);
        if (a && b) assert.deepEqual(asJson(b.current), asJson(a.current), key);
      }
    });
  }

  it('keeps the status facts of a projected object that has no status', () => {
    const pod = {
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: '3', ownerReferences: [{ kind: 'ReplicaSet', name: 'r', controller: true }] },
      status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }], containerStatuses: [{ name: 'app', restartCount: 0 }] },
    };
    const once = new ObjectProjector().project(pod)!;
    assert.deepEqual(once.statusFacts, { manager: 'unknown', ready: 'True', readySince: 1767225600, restarts: 0 });
    assert.deepEqual(new ObjectProjector().project(once)?.statusFacts, once.statusFacts);
    // A raw status always wins over facts someone wrote beside it.
    assert.equal(new ObjectProjector().project({ ...pod, status: {}, statusFacts: { ready: 'True' } })?.statusFacts?.ready, undefined);
    assert.ok(new ObjectProjector().sameOwnedVersion(asJson(once) as KubeObject, once), 'a projected record of the same version changes nothing');
  });
});
