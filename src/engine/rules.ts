/**
 * Actions and owner-kind rules (docs/design.md §5.3): an event on one object may really be about
 * another object named in its message ("Created pod: web-1"). A matching rule makes the
 * involved object the actor and the named object the object.
 */

import type { OwnerKindRule } from '../api/types.js';
import { makeRef, type Ref } from './refs.js';

export interface CompiledRule {
  involvedKind: string;
  source?: string;
  pattern: RegExp;
  targetKind: string;
}

export interface Action {
  actor?: Ref;
  object: Ref;
}

/** Raised for a rule the engine cannot use; the message says which rule and why. */
export class InvalidRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRuleError';
  }
}

const BUILT_IN: readonly OwnerKindRule[] = [
  { involvedKind: 'Deployment', source: 'deployment-controller', messagePattern: 'replica set (\\S+)', targetKind: 'ReplicaSet', targetApiVersion: 'apps/v1' },
  { involvedKind: 'ReplicaSet', source: 'replicaset-controller', messagePattern: 'pod: (\\S+)', targetKind: 'Pod', targetApiVersion: 'v1' },
  { involvedKind: 'DaemonSet', source: 'daemonset-controller', messagePattern: 'pod: (\\S+)', targetKind: 'Pod', targetApiVersion: 'v1' },
  { involvedKind: 'Job', source: 'job-controller', messagePattern: 'pod: (\\S+)', targetKind: 'Pod', targetApiVersion: 'v1' },
  { involvedKind: 'StatefulSet', source: 'statefulset-controller', messagePattern: 'Pod (\\S+)', targetKind: 'Pod', targetApiVersion: 'v1' },
  // "Created job hello-28977060", "Saw completed job: hello-28977060, status: Complete"
  { involvedKind: 'CronJob', source: 'cronjob-controller', messagePattern: '\\bjob:? (\\S+)', targetKind: 'Job', targetApiVersion: 'batch/v1' },
];

export function compileRule(rule: OwnerKindRule, where: string): CompiledRule {
  if (!rule || typeof rule.involvedKind !== 'string' || rule.involvedKind === '') throw new InvalidRuleError(`${where}: involvedKind is required`);
  if (typeof rule.targetKind !== 'string' || rule.targetKind === '') throw new InvalidRuleError(`${where}: targetKind is required`);
  if (typeof rule.messagePattern !== 'string' || rule.messagePattern === '') throw new InvalidRuleError(`${where}: messagePattern is required`);
  let pattern: RegExp;
  try {
    pattern = new RegExp(rule.messagePattern);
  } catch (err) {
    throw new InvalidRuleError(`${where}: messagePattern is not a valid regular expression: ${(err as Error).message}`);
  }
  const compiled: CompiledRule = { involvedKind: rule.involvedKind, pattern, targetKind: rule.targetKind };
  if (typeof rule.source === 'string' && rule.source !== '') compiled.source = rule.source;
  return compiled;
}

const BUILT_IN_COMPILED = BUILT_IN.map((r, i) => compileRule(r, `built-in rule ${i}`));

/** User rules first (they may override a built-in), then the built-in ones. */
export function compileRules(userRules: readonly OwnerKindRule[]): CompiledRule[] {
  return [...userRules.map((r, i) => compileRule(r, `ownerKindRules[${i}]`)), ...BUILT_IN_COMPILED];
}

export function builtInRules(): readonly OwnerKindRule[] {
  return BUILT_IN;
}

// Kubernetes names are DNS labels/subdomains: they end in an alphanumeric character, so
// trailing quotes, commas and full stops in a message ("job: hello-1, status: ...") are not theirs.
const TRAILING_PUNCTUATION = /[^A-Za-z0-9]+$/;
const LEADING_QUOTES = /^["'`(<[]+/;

export function cleanObjectName(captured: string): string {
  return captured.replace(LEADING_QUOTES, '').replace(TRAILING_PUNCTUATION, '');
}

/** The name a rule's pattern captures: the `name` group, else the first group, else the whole match. */
function capturedName(match: RegExpExecArray): string | undefined {
  const raw = match.groups?.['name'] ?? match[1] ?? match[0];
  if (raw === undefined) return undefined;
  const name = cleanObjectName(raw);
  return name === '' ? undefined : name;
}

/** 5.3: the action of an event. */
export function actionOf(
  rules: readonly CompiledRule[],
  involved: Ref,
  sourceComponent: string,
  message: string | undefined,
): Action {
  if (typeof message === 'string' && message !== '') {
    for (const rule of rules) {
      if (rule.involvedKind !== involved.kind) continue;
      if (rule.source !== undefined && rule.source !== sourceComponent) continue;
      const match = rule.pattern.exec(message);
      if (!match) continue;
      const name = capturedName(match);
      if (name === undefined) continue;
      return { actor: involved, object: makeRef(rule.targetKind, involved.namespace, name) };
    }
  }
  // Most events act on their own object; a waiting event keeps its action for a window.
  return (involved.selfAction ??= { object: involved });
}
