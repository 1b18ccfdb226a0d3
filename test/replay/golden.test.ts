import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { renderTree } from '../../src/replay/render.js';
import { recordingsDir, replayFile, sharedFixture } from './support.js';

function assertTree(file: string, expectedFile: string): void {
  const actual = renderTree(replayFile(file).spans).split('\n');
  const expected = readFileSync(expectedFile, 'utf8').split('\n');
  // Line by line, so that a failure names the first line that differs.
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    assert.equal(actual[i], expected[i], `${path.basename(file)} line ${i + 1}`);
  }
}

describe('golden span trees', () => {
  it('the recorded kind rollout (deployment-2-pods) gives its expected tree, line for line', () => {
    assertTree(sharedFixture('deployment-2-pods.ndjson'), sharedFixture('deployment-2-pods.expected.txt'));
  });

  it('the bundled example recording is the shared one', () => {
    const bundled = path.resolve(recordingsDir, '../../../examples/recordings/deployment-2-pods.ndjson');
    assert.equal(readFileSync(bundled, 'utf8'), readFileSync(sharedFixture('deployment-2-pods.ndjson'), 'utf8'));
  });

  const recordings = readdirSync(recordingsDir).filter((f) => f.endsWith('.ndjson')).sort();
  it('has the recordings of every scenario', () => {
    for (const name of ['statefulset', 'daemonset', 'cronjob-job', 'warnings-and-repeats', 'deleted-objects', 'custom-resource-rule', 'back-to-back-rollouts', 'created-before-scaled-up', 'create-rollout-scale']) {
      assert.ok(recordings.includes(`${name}.ndjson`), `missing recording ${name}`);
    }
  });
  for (const name of recordings) {
    it(`${name} gives its expected tree`, () => {
      const file = path.join(recordingsDir, name);
      assertTree(file, file.replace(/\.ndjson$/, '.expected.txt'));
    });
  }
});
