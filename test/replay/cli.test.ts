import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { captureIO, recordingsDir, sharedFixture } from './support.js';

const fixture = sharedFixture('deployment-2-pods.ndjson');

// Loaded as ESM on purpose: mocha may load this file as CommonJS, and main() imports its
// commands dynamically (ESM); a static import here would give main a second copy of UserError.
const { main } = await import('../../src/main.js');

async function run(args: string[], env: Record<string, string> = {}) {
  const { io, text } = captureIO(env);
  const code = await main(['replay', ...args], io);
  return { code, ...text };
}

function assertOneLineError(result: { code: number; out: string; err: string }, pattern: RegExp): void {
  assert.notEqual(result.code, 0);
  assert.equal(result.out, '');
  assert.match(result.err.trimEnd(), pattern);
  assert.equal(result.err.trimEnd().split('\n').length, 1, `one line expected, got: ${result.err}`);
  assert.doesNotMatch(result.err, /\n\s+at /, 'no stack trace');
}

describe('kspan replay', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kspan-replay-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, content: string): string {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  }

  it('prints the tree by default', async () => {
    const r = await run([fixture]);
    assert.equal(r.code, 0);
    assert.equal(r.out, readFileSync(sharedFixture('deployment-2-pods.expected.txt'), 'utf8'));
    assert.equal(r.err, '');
  });

  it('prints a waterfall without colour when stdout is not a terminal', async () => {
    const r = await run([fixture, '--output', 'waterfall']);
    assert.equal(r.code, 0);
    const lines = r.out.split('\n');
    assert.match(lines[0]!, /^trace [0-9a-f]{32} {2}2021-05-19T09:42:58\.000Z {2}9\.205s {2}20 spans$/);
    assert.match(lines[1]!, /^Deployment\.Update +\+0\.000s \|█+\| kubectl-client-side-apply: Deployment default\/px generation 3$/);
    // indentation follows the tree: the ReplicaSet's span is two levels down
    assert.match(lines[3]!, /^ {4}ReplicaSet\.SuccessfulCreate/);
    assert.ok(r.out.includes('kubelet: Started container podinfo'));
    assert.doesNotMatch(r.out, /\x1b\[/, 'no ANSI escapes');
  });

  it('colours the waterfall on a terminal, fitted to its width, unless NO_COLOR is set', async () => {
    const tty = async (env: Record<string, string>) => {
      const { io, text } = captureIO(env);
      Object.assign(io.stdout, { isTTY: true, columns: 100 });
      assert.equal(await main(['replay', fixture, '-o', 'waterfall'], io), 0);
      return text.out;
    };
    const coloured = await tty({});
    assert.match(coloured, /\x1b\[36m\|/);
    for (const line of coloured.replace(/\x1b\[\d+m/g, '').split('\n')) assert.ok(line.length <= 100, line);
    assert.doesNotMatch(await tty({ NO_COLOR: '1' }), /\x1b\[/);
  });

  it('prints span records as JSON lines', async () => {
    const r = await run([fixture, '-o', 'json']);
    assert.equal(r.code, 0);
    const spans = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { traceId: string; spanId: string; name: string; parentSpanId?: string });
    assert.equal(spans.length, 20);
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1);
    assert.equal(spans.filter((s) => s.parentSpanId === undefined).length, 1);
    for (const s of spans) {
      assert.match(s.traceId, /^[0-9a-f]{32}$/);
      assert.match(s.spanId, /^[0-9a-f]{16}$/);
    }
  });

  it('gives the JSON lines the recorded cluster\'s uid on their resource, and links as lists', async () => {
    const body = readFileSync(fixture, 'utf8');
    const at = (JSON.parse(body.split('\n')[0]!) as { at: string }).at;
    const uid = '5ca1ab1e-0000-4000-8000-000000000027';
    const recorded = file('with-cluster.ndjson', `${JSON.stringify({ at, kind: 'header', object: { recorder: 'capture', cluster: { uid } } })}\n${body}`);
    const parse = (out: string) => out.trimEnd().split('\n').map((l) => JSON.parse(l) as { resource: Record<string, string>; service: { name: string }; links: unknown[] });
    const spans = parse((await run([recorded, '-o', 'json'])).out);
    assert.equal(spans.length, 20);
    for (const s of spans) {
      assert.equal(s.resource['k8s.cluster.uid'], uid);
      assert.equal(s.resource['service.name'], s.service.name);
      assert.deepEqual(s.links, []);
    }
    for (const s of parse((await run([fixture, '-o', 'json'])).out)) assert.equal(s.resource['k8s.cluster.uid'], undefined, 'no header, no uid');
    assert.equal((await run([recorded])).out, readFileSync(sharedFixture('deployment-2-pods.expected.txt'), 'utf8'), 'the tree is unchanged');
  });

  it('takes user owner-kind rules from --rules', async () => {
    const recording = path.join(recordingsDir, 'custom-resource-rule.ndjson');
    const withRules = await run([recording, '--rules', recording.replace('.ndjson', '.rules.yaml')]);
    assert.equal(withRules.out, readFileSync(recording.replace('.ndjson', '.expected.txt'), 'utf8'));
    const without = await run([recording]);
    assert.equal(without.code, 0);
    assert.notEqual(without.out, withRules.out);
  });

  it('replays with the settings of the capture\'s header, which its flags override', async () => {
    const recording = path.join(recordingsDir, 'custom-resource-rule.ndjson');
    const rulesFile = recording.replace('.ndjson', '.rules.yaml');
    const rules = parseYaml(readFileSync(rulesFile, 'utf8')) as unknown[];
    const body = readFileSync(recording, 'utf8');
    const firstAt = (JSON.parse(body.split('\n')[0]!) as { at: string }).at;
    const header = (object: Record<string, unknown>, at = firstAt) => `${JSON.stringify({ at, kind: 'header', object })}\n`;
    const fixtureAt = (JSON.parse(readFileSync(fixture, 'utf8').split('\n')[0]!) as { at: string }).at;
    const expected = readFileSync(recording.replace('.ndjson', '.expected.txt'), 'utf8');
    const withHeader = file('with-header.ndjson', header({ kspanVersion: '0.1.0', recorder: 'capture', namespaces: ['shop'], ownerKindRules: rules, projection: 'engine-projection/1' }) + body);
    const replayed = await run([withHeader]);
    assert.equal(replayed.err, '');
    assert.equal(replayed.out, expected, 'the header\'s rules');
    assert.notEqual((await run([withHeader, '--rules', file('none.yaml', '[]\n')])).out, expected, '--rules replaces them');
    const narrow = file('narrow.ndjson', header({ correlation: { recentWindowSeconds: 10 } }, fixtureAt) + readFileSync(fixture, 'utf8'));
    assert.notEqual((await run([narrow])).out, readFileSync(sharedFixture('deployment-2-pods.expected.txt'), 'utf8'), 'the header\'s window');
    assert.equal((await run([narrow, '--window', '5'])).out, readFileSync(sharedFixture('deployment-2-pods.expected.txt'), 'utf8'), '--window overrides it');
    const other = await run([file('other.ndjson', header({ projection: 'someone-else/9' }, fixtureAt) + readFileSync(fixture, 'utf8'))]);
    assert.equal(other.code, 0);
    assert.match(other.err, /written with projection someone-else\/9/);
  });

  it('accepts --window', async () => {
    const r = await run([fixture, '--window', '2']);
    assert.equal(r.code, 0);
    assert.equal(r.out, readFileSync(sharedFixture('deployment-2-pods.expected.txt'), 'utf8'));
  });

  it('replays kspan YAML captures', async () => {
    const yaml = [
      '---',
      '# {"time":"2021-05-05T16:22:15.801Z","style":"initial","kind":"Deployment"}',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: px',
      '  namespace: default',
      '  uid: 71c42017-61a7-418e-8e2c-897cf237d6e3',
      '  generation: 1',
      '  managedFields:',
      '  - manager: kubectl-client-side-apply',
      '    operation: Update',
      '    time: "2021-05-05T16:22:15Z"',
      '    fieldsType: FieldsV1',
      '    fieldsV1: {"f:spec": {"f:replicas": {}}}',
      '---',
      '# {"time":"2021-05-05T16:22:15.808165851Z","style":"event","kind":"Event"}',
      'apiVersion: v1',
      'kind: Event',
      'count: 1',
      'involvedObject: {apiVersion: apps/v1, kind: Deployment, name: px, namespace: default}',
      'lastTimestamp: "2021-05-05T16:22:15Z"',
      'message: Scaled up replica set px-5f87d8856c to 2',
      'metadata: {name: px.167c382de9cb6e93, namespace: default, uid: 535f12a0-78a9-474c-aa0a-c846844d3d66}',
      'reason: ScalingReplicaSet',
      'source: {component: deployment-controller}',
      'type: Normal',
      '',
    ].join('\n');
    const r = await run([file('capture.yaml', yaml)]);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      '0: kubectl-client-side-apply Deployment.Update \n1: deployment-controller Deployment.ScalingReplicaSet (0) Scaled up replica set px-5f87d8856c to 2\n',
    );
  });

  describe('errors: one line, non-zero exit, no stack trace', () => {
    it('no FILE', async () => {
      assertOneLineError(await run([]), /^kspan replay: missing capture FILE \(usage: kspan replay FILE/);
    });
    it('a missing file', async () => {
      assertOneLineError(await run([path.join(dir, 'nope.ndjson')]), /^kspan replay: cannot read capture .*nope\.ndjson: no such file$/);
    });
    it('a malformed line, with its number and reason', async () => {
      const p = file('bad.ndjson', '{"at":"2021-05-19T09:42:58Z","kind":"flush"}\n\n{"at": "2021-05-19T09:42:59Z", "kind": \n');
      assertOneLineError(await run([p]), /^kspan replay: .*bad\.ndjson:3: not valid JSON/);
    });
    it('a bad time', async () => {
      const p = file('time.ndjson', '{"at":"yesterday","kind":"flush"}\n');
      assertOneLineError(await run([p]), /time\.ndjson:1: "at" must be an RFC 3339 time, got "yesterday"$/);
    });
    it('a header that is not the first record, or not a header', async () => {
      const later = file('later.ndjson', '{"at":"2021-05-19T09:42:58Z","kind":"flush"}\n{"at":"2021-05-19T09:42:58Z","kind":"header","object":{}}\n');
      assertOneLineError(await run([later]), /later\.ndjson:2: a header record must be the first record$/);
      const bad = file('badheader.ndjson', '{"at":"2021-05-19T09:42:58Z","kind":"header","object":{"ownerKindRules":{}}}\n');
      assertOneLineError(await run([bad]), /badheader\.ndjson:1: the header's "ownerKindRules" must be a list$/);
      const cluster = file('badcluster.ndjson', '{"at":"2021-05-19T09:42:58Z","kind":"header","object":{"cluster":{"uid":7}}}\n');
      assertOneLineError(await run([cluster]), /badcluster\.ndjson:1: the header's "cluster" must be an object with a "uid" string$/);
      const rules = file('badrules.ndjson', '{"at":"2021-05-19T09:42:58Z","kind":"header","object":{"ownerKindRules":[{"involvedKind":"X"}]}}\n');
      assertOneLineError(await run([rules]), /badrules\.ndjson: the header's ownerKindRules: .*ownerKindRules\[0\]/);
    });
    it('an unknown record kind', async () => {
      const p = file('kind.ndjson', '{"at":"2021-05-19T09:42:58Z","kind":"metric","object":{}}\n');
      assertOneLineError(await run([p]), /kind\.ndjson:1: unknown record kind "metric" \(expected "header", "object", "event" or "flush"\)$/);
    });
    it('an event without an involved object', async () => {
      const p = file('event.ndjson', '{"at":"2021-05-19T09:42:58Z","kind":"event","object":{"metadata":{"name":"x"}}}\n');
      assertOneLineError(await run([p]), /event\.ndjson:1: the event has no "involvedObject" with kind and name$/);
    });
    it('an object without metadata.name', async () => {
      const p = file('object.ndjson', '{"at":"2021-05-19T09:42:58Z","kind":"object","object":{"kind":"Pod","metadata":{}}}\n');
      assertOneLineError(await run([p]), /object\.ndjson:1: the object has no "metadata\.name"$/);
    });
    it('a YAML document without a header', async () => {
      const p = file('nohdr.yaml', '---\n# {"time":"2021-05-19T09:42:58Z","style":"initial"}\nkind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: b}\n');
      assertOneLineError(await run([p]), /nohdr\.yaml:6: a document needs a '# \{"time":\.\.\.,"style":\.\.\.\}' header line before it$/);
    });
    it('an unknown YAML style', async () => {
      const p = file('style.yaml', '---\n# {"time":"2021-05-19T09:42:58Z","style":"sideways"}\nkind: Pod\nmetadata: {name: a}\n');
      assertOneLineError(await run([p]), /style\.yaml:2: unknown style "sideways"/);
    });
    it('a bad --output', async () => {
      assertOneLineError(await run([fixture, '--output', 'pdf']), /^kspan replay: --output must be one of tree, waterfall, json, got 'pdf'$/);
    });
    it('a bad --window', async () => {
      assertOneLineError(await run([fixture, '--window=-3']), /--window must be a positive number of seconds, got '-3'$/);
      assertOneLineError(await run([fixture, '--window', 'soon']), /--window must be a positive number of seconds, got 'soon'$/);
      assertOneLineError(await run([fixture, '--window', '-3']), /Option '--window' argument is ambiguous\. \(see kspan replay --help\)$/);
    });
    it('an unknown flag', async () => {
      assertOneLineError(await run([fixture, '--frobnicate']), /^kspan replay: Unknown option '--frobnicate'/);
    });
    it('a rules file that is not a list', async () => {
      assertOneLineError(await run([fixture, '--rules', file('rules.yaml', 'involvedKind: Foo\n')]), /rules\.yaml: expected a list of owner-kind rules$/);
    });
    it('a rule with a bad pattern', async () => {
      const rules = file('badrule.yaml', "- {involvedKind: Foo, messagePattern: 'made (\\S+', targetKind: Bar}\n");
      assertOneLineError(await run([fixture, '--rules', rules]), /badrule\.yaml: ownerKindRules\[0\]: messagePattern is not a valid regular expression/);
    });
  });

  it('prints help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: kspan replay FILE/);
  });
});
