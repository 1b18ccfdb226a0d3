/**
 * A kubeconfig that points kspan (or client-node, or kubectl) at the test apiserver.
 * client-node 2.x refuses a plain http:// server unless insecure-skip-tls-verify is set.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export function kubeconfigYaml(server: string, token: string, namespace = 'default'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kspan-test', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'kspan-test', user: { token } }],
    contexts: [{ name: 'kspan-test', context: { cluster: 'kspan-test', user: 'kspan-test', namespace } }],
    'current-context': 'kspan-test',
    preferences: {},
  });
}

export function writeKubeconfig(path: string, server: string, token: string): void {
  writeFileSync(path, kubeconfigYaml(server, token), { mode: 0o600 });
}
