import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { RawWatchEvent } from '../../src/kube/client.js';
import { HttpKubeClient, isBodyTimeout } from '../../src/kube/http-client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { customResource, RESOURCES, resourcePath } from '../../src/kube/resources.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('kube/http-client', () => {
  let server: Server;
  let client: HttpKubeClient;
  let seen: Seen[];
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    client = new HttpKubeClient(kc, { requestTimeoutMs: 2000, watchGraceMs: 100 });
  });

  beforeEach(() => {
    seen = [];
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends merge and JSON patches with their content types, to the right paths, with the bearer token', async () => {
    await client.mergePatch(RESOURCES.tracecollectors, { namespace: 'ns', name: 'tc' }, { status: { a: 1 } }, { subresource: 'status' });
    await client.jsonPatch(RESOURCES.tracecollectors, { namespace: 'ns', name: 'tc' }, [{ op: 'test', path: '/metadata/resourceVersion', value: '5' }]);
    assert.equal(seen[0]!.method, 'PATCH');
    assert.equal(seen[0]!.url, '/apis/kspan.dev/v1alpha1/namespaces/ns/tracecollectors/tc/status');
    assert.equal(seen[0]!.headers['content-type'], 'application/merge-patch+json');
    assert.equal(seen[0]!.headers['authorization'], 'Bearer secret-token');
    assert.deepEqual(JSON.parse(seen[0]!.body), { status: { a: 1 } });
    assert.equal(seen[1]!.headers['content-type'], 'application/json-patch+json');
    assert.equal(seen[1]!.url, '/apis/kspan.dev/v1alpha1/namespaces/ns/tracecollectors/tc');
  });

  it('asks for PartialObjectMetadata when metadata-only and restores kind/apiVersion', async () => {
    handler = (_req, res) =>
      res.writeHead(200).end(JSON.stringify({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '9' }, items: [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'rs' } }] }));
    const list = await client.list(RESOURCES.replicasets, { namespace: 'shop', metadataOnly: true, limit: 10, labelSelector: 'app=web' });
    assert.match(String(seen[0]!.headers['accept']), /as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/);
    assert.equal(seen[0]!.url, '/apis/apps/v1/namespaces/shop/replicasets?labelSelector=app%3Dweb&limit=10');
    assert.equal(list.items[0]!.kind, 'ReplicaSet');
    assert.equal(list.items[0]!.apiVersion, 'apps/v1');
    assert.equal(list.metadata.resourceVersion, '9');
  });

  it('hands a list\'s items over one by one as the body streams in, when asked, and fails a body cut short', async () => {
    const body = JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '7', continue: 'next' }, items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] });
    handler = (_req, res) => {
      // in two writes, the first ending inside the second item
      res.writeHead(200).write(body.slice(0, body.indexOf('"b"')));
      setTimeout(() => res.end(body.slice(body.indexOf('"b"'))), 20);
    };
    const handed: unknown[] = [];
    const list = await client.list(RESOURCES.pods, { onItem: (item) => handed.push(item) });
    assert.deepEqual(handed, [{ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'a' } }, { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'b' } }]);
    assert.deepEqual(list, { metadata: { resourceVersion: '7', continue: 'next' }, items: [] });
    handler = (_req, res) => res.writeHead(200).end(body.slice(0, -3));
    await assert.rejects(client.list(RESOURCES.pods, { onItem: () => undefined }), (err: unknown) => err instanceof KubeApiError && err.reason === 'BadResponse');
  });

  it('turns error responses into KubeApiError, with or without a Status body, and reads Retry-After', async () => {
    handler = (_req, res) => res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified', code: 409 }));
    await assert.rejects(client.replace(RESOURCES.leases, { metadata: { name: 'l', namespace: 'ns', resourceVersion: '1' } }), (err: unknown) =>
      err instanceof KubeApiError && err.statusCode === 409 && err.reason === 'Conflict' && err.message === 'the object has been modified' && err.verb === 'update' && err.objectName === 'l');
    handler = (_req, res) => res.writeHead(503, { 'retry-after': '3' }).end('<html>bad gateway</html>');
    await assert.rejects(client.get(RESOURCES.pods, { namespace: 'ns', name: 'p' }), (err: unknown) =>
      err instanceof KubeApiError && err.statusCode === 503 && err.reason === 'InternalError' && err.retryAfterSeconds === 3);
  });

  it('streams watch events split across chunks, with the watch query parameters', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const a = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } });
      const b = JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: '3' } } });
      res.write(a.slice(0, 10));
      setTimeout(() => {
        res.write(`${a.slice(10)}\n${b.slice(0, 5)}`);
        setTimeout(() => res.end(b.slice(5)), 5);
      }, 5);
    };
    const events: RawWatchEvent[] = [];
    for await (const e of client.watch(RESOURCES.pods, { namespace: 'ns', resourceVersion: '1', timeoutSeconds: 30 })) events.push(e);
    assert.deepEqual(events.map((e) => [e.type, e.object.kind, e.object.metadata?.resourceVersion]), [['ADDED', 'Pod', '2'], ['BOOKMARK', 'Pod', '3']]);
    const url = new URL(seen[0]!.url, 'http://x');
    assert.equal(url.pathname, '/api/v1/namespaces/ns/pods');
    assert.equal(url.searchParams.get('watch'), 'true');
    assert.equal(url.searchParams.get('allowWatchBookmarks'), 'true');
    assert.equal(url.searchParams.get('resourceVersion'), '1');
    assert.equal(url.searchParams.get('timeoutSeconds'), '30');
  });

  it('fails a watch on a malformed line and on an HTTP error status', async () => {
    handler = (_req, res) => res.writeHead(200).end('not json\n');
    await assert.rejects(drain(client.watch(RESOURCES.pods, { resourceVersion: '1', timeoutSeconds: 30 })), (err: unknown) =>
      err instanceof KubeApiError && err.reason === 'BadWatchData');
    handler = (_req, res) => res.writeHead(410).end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }));
    await assert.rejects(drain(client.watch(RESOURCES.pods, { resourceVersion: '1', timeoutSeconds: 30 })), (err: unknown) =>
      err instanceof KubeApiError && err.statusCode === 410 && err.verb === 'watch');
  });

  it('ends a watch whose server never closes it shortly after timeoutSeconds (lost close)', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } })}\n`);
    };
    const events = await drain(client.watch(RESOURCES.pods, { resourceVersion: '1', timeoutSeconds: 1 }));
    assert.equal(events.length, 1);
  });

  it('recognises undici idle-body timeouts (a quiet watch ends normally, not as an error)', () => {
    const timeout = Object.assign(new Error('Body Timeout Error'), { name: 'BodyTimeoutError', code: 'UND_ERR_BODY_TIMEOUT' });
    assert.equal(isBodyTimeout(new TypeError('terminated', { cause: timeout })), true);
    assert.equal(isBodyTimeout(new TypeError('terminated', { cause: new Error('socket hang up') })), false);
    assert.equal(isBodyTimeout(undefined), false);
  });

  it('stops a watch when the caller aborts', async () => {
    handler = (_req, res) => res.writeHead(200).write('');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    const events = await drain(client.watch(RESOURCES.pods, { resourceVersion: '1', timeoutSeconds: 60, signal: abort.signal }));
    assert.equal(events.length, 0);
  });
});

describe('kube/resources', () => {
  it('builds REST paths for core, grouped, cluster-scoped and all-namespace requests', () => {
    assert.equal(resourcePath(RESOURCES.pods, 'a', 'p'), '/api/v1/namespaces/a/pods/p');
    assert.equal(resourcePath(RESOURCES.pods, '*'), '/api/v1/pods');
    assert.equal(resourcePath(RESOURCES.namespaces, 'ignored', 'shop'), '/api/v1/namespaces/shop');
    assert.equal(resourcePath(RESOURCES.leases, 'kspan-system', 'l'), '/apis/coordination.k8s.io/v1/namespaces/kspan-system/leases/l');
    assert.throws(() => resourcePath(RESOURCES.pods, undefined, 'p'), /namespace is required/);
  });

  it('derives custom resource types, guessing regular plurals', () => {
    assert.deepEqual(customResource('argoproj.io/v1alpha1', 'Rollout'), { group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout', namespaced: true, plural: 'rollouts' });
    assert.equal(customResource('example.com/v1', 'Policy').plural, 'policies');
    assert.equal(customResource('example.com/v1', 'Batch').plural, 'batches');
    assert.equal(customResource('v1', 'Thing').group, '');
    assert.equal(customResource('x.io/v1', 'Mouse', 'mice').plural, 'mice');
    assert.throws(() => customResource('x.io/', 'Thing'), /invalid resource/);
  });
});

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
