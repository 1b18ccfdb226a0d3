/**
 * What kspan takes from @kubernetes/client-node: connecting (KubeConfig, its authentication and
 * its fetch), nothing else. Imported from the modules that define them, not from the package's
 * index, which loads the whole generated API (see client-node-hooks.ts).
 */

export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type ResponseContext } from '@kubernetes/client-node/dist/gen/http/http.js';
export { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
