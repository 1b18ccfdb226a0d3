import assert from 'node:assert/strict';
import { heapCeilingFlags, imageEnv, imageNodeFlags } from '../../bench/support/operator-process.js';

// The benchmarks start the operator as the image does: its runtime stage's Node.js flags and
// environment, read from the Dockerfile.
describe('bench operator process: its runtime flags and environment', () => {
  const dockerfile = [
    'FROM node:24 AS build',
    'ENV BUILD_ONLY=1',
    'FROM gcr.io/distroless/nodejs24-debian12:nonroot',
    'ENV NODE_ENV=production',
    '# a comment',
    'env MALLOC_MMAP_THRESHOLD_=131072 OTHER=a=b',
    'ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=16", "dist/cli.js", "operator"]',
  ].join('\n');

  it('reads the runtime stage environment only', () => {
    assert.deepEqual(imageEnv(dockerfile), { NODE_ENV: 'production', MALLOC_MMAP_THRESHOLD_: '131072', OTHER: 'a=b' });
  });

  it('rejects an ENV it cannot read rather than dropping it', () => {
    assert.throws(() => imageEnv('FROM x\nENV LEGACY value'), /ENV LEGACY: only the KEY=VALUE form/);
  });

  it('reads the runtime flags between node and the script', () => {
    assert.deepEqual(imageNodeFlags(dockerfile), ['--max-semi-space-size=16']);
  });

  it('adds a heap ceiling only when the benchmark is asked for one, and rejects a bad one', () => {
    assert.deepEqual(heapCeilingFlags(['node', 'soak.bench.ts', '--quick']), []);
    assert.deepEqual(heapCeilingFlags(['node', 'soak.bench.ts', '--operator-heap-mib=1024']), ['--max-old-space-size=1024']);
    assert.throws(() => heapCeilingFlags(['--operator-heap-mib=1g']), /--operator-heap-mib=1g: expected a whole number of MiB/);
  });

  it('finds the repository Dockerfile sets the malloc threshold the benchmarks measured', () => {
    assert.equal(imageEnv()['MALLOC_MMAP_THRESHOLD_'], '524288');
  });
});
