/**
 * The TraceCollector CustomResourceDefinition as an object, built from ./schema.ts.
 * scripts/generate-crd.ts writes it to crds/; a test fails when the committed file drifts.
 */
import { API_GROUP, API_VERSION, TRACE_COLLECTOR_KIND, TRACE_COLLECTOR_PLURAL } from './types.js';
import { traceCollectorSchema } from './schema.js';

export const CRD_NAME = `${TRACE_COLLECTOR_PLURAL}.${API_GROUP}`;
export const CRD_FILE = `crds/${CRD_NAME}.yaml`;

export function traceCollectorCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      labels: { 'app.kubernetes.io/name': 'kspan', 'app.kubernetes.io/part-of': 'kspan' },
    },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: {
        kind: TRACE_COLLECTOR_KIND,
        listKind: `${TRACE_COLLECTOR_KIND}List`,
        plural: TRACE_COLLECTOR_PLURAL,
        singular: TRACE_COLLECTOR_KIND.toLowerCase(),
        shortNames: ['tc'],
        categories: ['kspan'],
      },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Endpoint', type: 'string', jsonPath: '.spec.exporter.endpoint' },
            { name: 'Spans', type: 'integer', jsonPath: '.status.spansExported' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: traceCollectorSchema },
        },
      ],
    },
  };
}
