/** Unit tests of the test apiserver's building blocks. */
import assert from 'node:assert/strict';
import { applyPatch, jsonPatch, mergePatch, PatchError } from '../support/kube-api-server/patch.js';
import { fieldValue, parseFieldSelector, parseLabelSelector, SelectorError } from '../support/kube-api-server/selectors.js';
import { Expired, Store, type KubeObject } from '../support/kube-api-server/store.js';

const obj = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: 'ns', labels },
  ...extra,
});

describe('label selectors', () => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['', {}, true],
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'db' }, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['app in (web, api)', { app: 'api' }, true],
    ['app notin (web,api)', { app: 'api' }, false],
    ['app notin (web,api)', {}, true],
    ['app', { app: '' }, true],
    ['!app', { app: 'x' }, false],
    ['app=web,tier in (front),!canary', { app: 'web', tier: 'front' }, true],
    ['app=web,tier in (front),!canary', { app: 'web', tier: 'front', canary: 'y' }, false],
    ['example.com/team=a', { 'example.com/team': 'a' }, true],
  ];
  for (const [selector, labels, expected] of cases) {
    it(`${JSON.stringify(selector)} on ${JSON.stringify(labels)} is ${expected}`, () => {
      assert.equal(parseLabelSelector(selector)(obj('x', labels)), expected);
    });
  }
  it('rejects bad syntax', () => {
    for (const bad of ['=x', 'a in b', 'a=b c', 'a=(x)', 'bad key=1']) assert.throws(() => parseLabelSelector(bad), SelectorError, bad);
  });
});

describe('field selectors', () => {
  const ev = obj('e', {}, { involvedObject: { kind: 'Pod', name: 'p' }, source: { component: 'kubelet' }, type: 'Warning' });
  it('matches nested fields, source as source.component, and != ', () => {
    assert.equal(parseFieldSelector('involvedObject.kind=Pod,involvedObject.name==p', ['involvedObject.kind', 'involvedObject.name'])(ev), true);
    assert.equal(parseFieldSelector('type!=Warning', ['type'])(ev), false);
    assert.equal(parseFieldSelector('source=kubelet', ['source'])(ev), true);
    assert.equal(parseFieldSelector('metadata.namespace=ns,metadata.name=e', [])(ev), true);
    assert.equal(fieldValue(ev, 'involvedObject.uid'), '');
  });
  it('rejects fields the resource does not support', () => {
    assert.throws(() => parseFieldSelector('spec.nodeName=n', []), /field label not supported: spec.nodeName/);
    assert.throws(() => parseFieldSelector('nonsense', ['nonsense']), SelectorError);
  });
});

describe('patches', () => {
  it('merge patch follows RFC 7386 (null deletes, arrays replace)', () => {
    assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }), { a: { c: 2, d: 3 }, l: [3] });
    assert.deepEqual(mergePatch({ a: 1 }, { a: { b: null } }), { a: {} });
  });

  it('JSON patch follows RFC 6902 and leaves the input alone', () => {
    const doc = { a: { b: [1, 2] }, c: 'x' };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/a/b/-', value: 3 },
      { op: 'add', path: '/a/b/0', value: 0 },
      { op: 'move', from: '/c', path: '/d' },
      { op: 'copy', from: '/d', path: '/e' },
      { op: 'replace', path: '/a/b/1', value: 9 },
      { op: 'test', path: '/e', value: 'x' },
      { op: 'add', path: '/m~1n', value: true },
    ]);
    assert.deepEqual(out, { a: { b: [0, 9, 2, 3] }, d: 'x', e: 'x', 'm/n': true });
    assert.deepEqual(doc, { a: { b: [1, 2] }, c: 'x' });
  });

  it('JSON patch failures are 422, malformed patches 400, unknown types 415', () => {
    const fails = (ops: unknown, status: number) => assert.throws(() => jsonPatch({ a: [1] }, ops), (e: unknown) => e instanceof PatchError && e.status === status);
    fails([{ op: 'test', path: '/a/0', value: 2 }], 422);
    fails([{ op: 'remove', path: '/b' }], 422);
    fails([{ op: 'replace', path: '/a/5', value: 1 }], 422);
    fails([{ op: 'add', path: '/x/y', value: 1 }], 422);
    fails([{ op: 'frobnicate', path: '/a' }], 422);
    fails({ op: 'add' }, 400);
    fails([{ path: '/a' }], 400);
    assert.throws(() => applyPatch({}, 'application/strategic-merge-patch+json', {}, true), (e: unknown) => e instanceof PatchError && e.status === 415);
    assert.deepEqual(applyPatch({ a: 1 }, 'application/strategic-merge-patch+json; charset=utf-8', { b: 2 }, false), { a: 1, b: 2 });
    assert.throws(() => applyPatch({}, 'application/json', {}, false), (e: unknown) => e instanceof PatchError && e.status === 415);
  });
});

describe('store', () => {
  it('gives every write the next global resourceVersion and returns copies', () => {
    const store = new Store();
    const a = store.write('k1', obj('a'));
    const b = store.write('k2', obj('b'));
    assert.equal(a.metadata.resourceVersion, '1');
    assert.equal(b.metadata.resourceVersion, '2');
    a.metadata.name = 'mutated';
    assert.equal(store.get('k1', 'ns', 'a')?.metadata.name, 'a');
    assert.equal(store.delete('k1', 'ns', 'a')?.metadata.resourceVersion, '3');
    assert.equal(store.delete('k1', 'ns', 'a'), undefined);
  });

  it('replays changes per type after a resourceVersion and expires compacted ones', () => {
    const store = new Store();
    store.write('k', obj('a'));
    store.write('other', obj('x'));
    store.write('k', obj('a', { v: '2' }));
    store.delete('k', 'ns', 'a');
    assert.deepEqual(store.changesSince('k', 1).map((c) => `${c.type}@${c.rv}`), ['MODIFIED@3', 'DELETED@4']);
    store.compact();
    assert.deepEqual(store.changesSince('k', 4), []);
    assert.throws(() => store.changesSince('k', 3), Expired);
  });

  it('reconstructs the state at an older resourceVersion', () => {
    const store = new Store();
    store.write('k', obj('a'));
    store.write('k', obj('b'));
    store.write('k', obj('a', { v: '2' }));
    store.delete('k', 'ns', 'b');
    store.write('k', obj('c'));
    assert.deepEqual(store.listAt('k', 2).map((o) => [o.metadata.name, o.metadata.labels]), [['a', {}], ['b', {}]]);
    assert.deepEqual(store.listAt('k', 4).map((o) => o.metadata.name), ['a']);
    assert.deepEqual(store.listAt('k', 99).map((o) => o.metadata.name), ['a', 'c']);
  });

  it('bounds its history, moving the compaction point', () => {
    const store = new Store(2);
    for (const n of ['a', 'b', 'c', 'd']) store.write('k', obj(n));
    assert.equal(store.oldestRv, 2);
    assert.throws(() => store.changesSince('k', 1), Expired);
    assert.equal(store.changesSince('k', 2).length, 2);
  });
});
