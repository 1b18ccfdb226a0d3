import assert from 'node:assert/strict';
import { engineConfigFromSpec, tickIntervalMs } from '../../src/engine/config.js';
import { makeRef } from '../../src/engine/refs.js';
import { actionOf, cleanObjectName, compileRules, InvalidRuleError } from '../../src/engine/rules.js';

const builtIns = compileRules([]);
const involved = (kind: string, name = 'x') => makeRef(kind, 'default', name);

function target(kind: string, source: string, message: string, rules = builtIns) {
  const a = actionOf(rules, involved(kind), source, message);
  return a.actor ? `${a.object.kind}/${a.object.name}` : undefined;
}

describe('engine: actions and owner-kind rules (5.3)', () => {
  it('has the built-in rules for the workload controllers', () => {
    assert.equal(target('Deployment', 'deployment-controller', 'Scaled up replica set px-5d567cc74c to 1'), 'ReplicaSet/px-5d567cc74c');
    assert.equal(target('ReplicaSet', 'replicaset-controller', 'Created pod: px-5d567cc74c-ss4lb'), 'Pod/px-5d567cc74c-ss4lb');
    assert.equal(target('ReplicaSet', 'replicaset-controller', 'Deleted pod: px-7df978b9bf-jm22q'), 'Pod/px-7df978b9bf-jm22q');
    assert.equal(target('DaemonSet', 'daemonset-controller', 'Created pod: node-exporter-7xk2p'), 'Pod/node-exporter-7xk2p');
    assert.equal(target('Job', 'job-controller', 'Created pod: report-29557320-k7c2d'), 'Pod/report-29557320-k7c2d');
    assert.equal(target('StatefulSet', 'statefulset-controller', 'create Pod web-1 in StatefulSet web successful'), 'Pod/web-1');
    assert.equal(target('CronJob', 'cronjob-controller', 'Created job report-29557320'), 'Job/report-29557320');
    assert.equal(target('CronJob', 'cronjob-controller', 'Saw completed job: report-29557320, status: Complete'), 'Job/report-29557320');
  });

  it('leaves the involved object as the object when no rule matches', () => {
    assert.deepEqual(actionOf(builtIns, involved('Pod', 'p'), 'kubelet', 'Started container web'), { object: involved('Pod', 'p') });
    assert.equal(target('Job', 'job-controller', 'Job completed'), undefined);
  });

  it('needs the rule source to match when the rule names one', () => {
    assert.equal(target('ReplicaSet', 'someone-else', 'Created pod: a-1'), undefined);
    assert.equal(target('Deployment', 'deployment-controller', 'Scaled up replica set'), undefined, 'pattern must match too');
  });

  it('does not take trailing punctuation into a name', () => {
    assert.equal(cleanObjectName('report-29557320,'), 'report-29557320');
    assert.equal(cleanObjectName('"web-1".'), 'web-1');
    assert.equal(cleanObjectName('web-1'), 'web-1');
    assert.equal(target('ReplicaSet', 'replicaset-controller', 'Created pod: a-1.'), 'Pod/a-1');
  });

  it('lowercases names in references', () => {
    assert.equal(target('ReplicaSet', 'replicaset-controller', 'Created pod: Web-ABC'), 'Pod/web-abc');
  });

  it('tries user rules first, with the named group, with or without a source', () => {
    const rules = compileRules([
      { involvedKind: 'ReplicaSet', messagePattern: 'Created pod: (\\S+)', targetKind: 'Secret' },
      { involvedKind: 'Rollout', source: 'rollouts-controller', messagePattern: 'ReplicaSet (?<name>\\S+) \\(revision (\\d+)\\)', targetKind: 'ReplicaSet' },
    ]);
    assert.equal(target('ReplicaSet', 'replicaset-controller', 'Created pod: a-1', rules), 'Secret/a-1');
    assert.equal(target('Rollout', 'rollouts-controller', 'Scaled up ReplicaSet demo-687d76d795 (revision 2) from 0 to 1', rules), 'ReplicaSet/demo-687d76d795');
    assert.equal(target('Rollout', 'argo', 'Scaled up ReplicaSet demo-687d76d795 (revision 2) from 0 to 1', rules), undefined);
  });

  it('rejects a rule it cannot use, naming it', () => {
    assert.throws(() => compileRules([{ involvedKind: 'A', messagePattern: '(', targetKind: 'B' }]), (e: unknown) => e instanceof InvalidRuleError && /ownerKindRules\[0\]: messagePattern is not a valid regular expression/.test(e.message));
    assert.throws(() => compileRules([{ involvedKind: '', messagePattern: 'x', targetKind: 'B' }]), /ownerKindRules\[0\]: involvedKind is required/);
    assert.throws(() => engineConfigFromSpec({ ownerKindRules: [{ involvedKind: 'A', messagePattern: 'x', targetKind: 'B' }, { involvedKind: 'A', messagePattern: '[', targetKind: 'B' }] }), /ownerKindRules\[1\]/);
  });

  it('applies the defaults of docs/design.md §3 and §5', () => {
    const c = engineConfigFromSpec();
    assert.deepEqual(c, {
      recentWindowMs: 5000, expireAfterMs: 300000, maxPendingEvents: 10000, ownerKindRules: [], statusTransitions: true,
      traceContext: 'link', traceContextAnnotations: ['tracing.k8s.io/traceparent'],
    });
    const parent = engineConfigFromSpec({ correlation: { traceContext: 'parent', traceContextAnnotations: ['tekton.dev/deliveryTraceparent'] } });
    assert.deepEqual([parent.traceContext, parent.traceContextAnnotations], ['parent', ['tekton.dev/deliveryTraceparent']]);
    assert.equal(engineConfigFromSpec({ spans: { statusTransitions: false } }).statusTransitions, false);
    assert.equal(tickIntervalMs(c), 2500);
    const custom = engineConfigFromSpec({ correlation: { recentWindowSeconds: 2, expireAfterSeconds: 60, maxPendingEvents: 10 } });
    assert.deepEqual([custom.recentWindowMs, custom.expireAfterMs, custom.maxPendingEvents, tickIntervalMs(custom)], [2000, 60000, 10, 1000]);
  });
});
