/**
 * Keeps @kubernetes/client-node's generated API out of the process.
 *
 * Its `KubeConfig` module imports the generated code's index for two names it uses only to make
 * API clients (which kspan never does), and that index loads every API group's client and every
 * model: loading the kubeconfig and the HTTP client with it takes ~15 MiB more heap and ~44 MiB
 * more RSS than without, twice what the status facts of 200,000 cached objects cost.
 * A module hook resolves that one import, from that one module, to a module that re-exports the
 * same index but for the API clients and models. What the hook leaves out is nothing kspan or
 * KubeConfig calls; a name it left out that KubeConfig imported would stop the process at load
 * with the name in the error (test/kube/client-node-hooks.test.ts proves KubeConfig loads and
 * authenticates through it).
 *
 * The hook names client-node's files, so package.json pins client-node's exact version: an
 * upgrade is a change that this test and the end-to-end tests (the real binary) check.
 *
 * Registered by the `kspan` binary before any command is loaded; a process that has already
 * loaded client-node keeps what it loaded.
 */

import { registerHooks } from 'node:module';

const CONFIG_MODULE = '/@kubernetes/client-node/dist/config.js';
const GENERATED_INDEX = './gen/index.js';

/** The generated index's exports without its API clients and models, next to `configUrl`. */
function generatedIndexWithoutApis(configUrl: string): string {
  const gen = (path: string) => JSON.stringify(new URL(`./gen/${path}`, configUrl).href);
  const source = [
    `export * from ${gen('http/http.js')};`,
    `export * from ${gen('auth/auth.js')};`,
    `export { createConfiguration } from ${gen('configuration.js')};`,
    `export * from ${gen('servers.js')};`,
    `export { Observable } from ${gen('rxjsStub.js')};`,
  ].join('\n');
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

let registered = false;

export function leaveOutClientNodeApis(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === GENERATED_INDEX && context.parentURL?.endsWith(CONFIG_MODULE)) {
        return { url: generatedIndexWithoutApis(context.parentURL), format: 'module', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
  });
}
