/** Which Kubernetes configuration the operator uses: --kubeconfig PATH, else $KUBECONFIG, else the in-cluster service account. */

import { KubeConfig } from './client-node.js';

/**
 * Loads the kubeconfig the way the operator flags say: `--kubeconfig PATH`, else $KUBECONFIG
 * (kubectl semantics, a path list), else the in-cluster service account. Throws an Error with a
 * message fit for the user when none applies.
 */
export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    kc.loadFromFile(path);
  } else if (env['KUBECONFIG']) {
    // loadFromDefault honours a KUBECONFIG path list and merges it like kubectl.
    kc.loadFromDefault();
  } else if (env['KUBERNETES_SERVICE_HOST']) {
    kc.loadFromCluster();
  } else {
    throw new Error('no Kubernetes configuration: pass --kubeconfig PATH, set KUBECONFIG, or run inside a cluster');
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`the kubeconfig${path ? ` ${path}` : ''} has no current cluster (current-context "${kc.getCurrentContext()}")`);
  }
  return kc;
}
