/**
 * Turns ExportTraceServiceRequests, as @grpc/proto-loader deserializes them (camelCase fields,
 * 64-bit integers as protobufjs Long objects, bytes as Buffers, oneof names set), into plain test
 * values: ids as lowercase hex, times as bigint nanoseconds, attributes as JS values.
 */

/** A decoded OTLP AnyValue. int64 values are numbers when safe, bigints otherwise. */
export type ReceivedValue =
  | string
  | boolean
  | number
  | bigint
  | Buffer
  | null
  | readonly ReceivedValue[]
  | { readonly [key: string]: ReceivedValue };

/** Which AnyValue field carried the value (int and double are both numbers in JS). */
export type ReceivedValueType = 'string' | 'bool' | 'int' | 'double' | 'array' | 'kvlist' | 'bytes' | 'empty';

export interface ReceivedAttributes {
  values: Record<string, ReceivedValue>;
  types: Record<string, ReceivedValueType>;
}

export interface ReceivedScope {
  name: string;
  version: string;
  attributes: Record<string, ReceivedValue>;
}

export interface ReceivedEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Record<string, ReceivedValue>;
}

export interface ReceivedLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Record<string, ReceivedValue>;
}

export interface ReceivedSpan {
  /** the resource this span was grouped under */
  resource: Record<string, ReceivedValue>;
  scope: ReceivedScope;
  traceId: string;
  spanId: string;
  /** '' for a root span */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error */
  status: { code: number; message: string };
  attributes: Record<string, ReceivedValue>;
  attributeTypes: Record<string, ReceivedValueType>;
  droppedAttributesCount: number;
  events: ReceivedEvent[];
  links: ReceivedLink[];
  /** index of the request (see ReceivedRequest.index) that carried the span */
  requestIndex: number;
}

export interface ReceivedResourceSpans {
  resource: Record<string, ReceivedValue>;
  resourceTypes: Record<string, ReceivedValueType>;
  scopeSpans: { scope: ReceivedScope; spans: ReceivedSpan[] }[];
}

// Shapes produced by proto-loader with {bytes: Buffer, defaults, arrays, oneofs}.
/** protobufjs's Long (numbers that fit a double may come as plain numbers) */
export type RawLong = { low: number; high: number; unsigned: boolean } | number;

interface RawAnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: RawLong;
  doubleValue?: number;
  arrayValue?: { values: RawAnyValue[] };
  kvlistValue?: { values: RawKeyValue[] };
  bytesValue?: Buffer;
}
interface RawKeyValue {
  key: string;
  value?: RawAnyValue | null;
}
interface RawScope {
  name: string;
  version: string;
  attributes: RawKeyValue[];
}
interface RawSpan {
  traceId: Buffer;
  spanId: Buffer;
  traceState: string;
  parentSpanId: Buffer;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: RawLong;
  endTimeUnixNano: RawLong;
  attributes: RawKeyValue[];
  droppedAttributesCount: number;
  events: { timeUnixNano: RawLong; name: string; attributes: RawKeyValue[] }[];
  links: { traceId: Buffer; spanId: Buffer; traceState: string; attributes: RawKeyValue[] }[];
  status?: { code: number; message: string } | null;
}
export interface RawExportRequest {
  resourceSpans: {
    resource?: { attributes: RawKeyValue[] } | null;
    scopeSpans: { scope?: RawScope | null; spans: RawSpan[] }[];
  }[];
}

function toBigInt(raw: RawLong, signed: boolean): bigint {
  if (typeof raw === 'number') return BigInt(raw);
  const unsignedValue = (BigInt(raw.high >>> 0) << 32n) | BigInt(raw.low >>> 0);
  return signed && !raw.unsigned ? BigInt.asIntN(64, unsignedValue) : unsignedValue;
}

function decodeInt(raw: RawLong): number | bigint {
  if (typeof raw === 'number') return raw;
  const big = toBigInt(raw, true);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function decodeValue(raw: RawAnyValue | null | undefined): [ReceivedValue, ReceivedValueType] {
  switch (raw?.value) {
    case 'stringValue':
      return [raw.stringValue ?? '', 'string'];
    case 'boolValue':
      return [raw.boolValue ?? false, 'bool'];
    case 'intValue':
      return [decodeInt(raw.intValue ?? 0), 'int'];
    case 'doubleValue':
      return [raw.doubleValue ?? 0, 'double'];
    case 'bytesValue':
      return [raw.bytesValue ?? Buffer.alloc(0), 'bytes'];
    case 'arrayValue':
      return [(raw.arrayValue?.values ?? []).map((v) => decodeValue(v)[0]), 'array'];
    case 'kvlistValue':
      return [decodeAttributes(raw.kvlistValue?.values ?? []).values, 'kvlist'];
    default:
      return [null, 'empty'];
  }
}

export function decodeAttributes(list: readonly RawKeyValue[]): ReceivedAttributes {
  const values: Record<string, ReceivedValue> = {};
  const types: Record<string, ReceivedValueType> = {};
  for (const kv of list) {
    const [value, type] = decodeValue(kv.value);
    values[kv.key] = value;
    types[kv.key] = type;
  }
  return { values, types };
}

const hex = (b: Buffer | undefined): string => (b ? b.toString('hex') : '');

function decodeSpan(raw: RawSpan, resource: Record<string, ReceivedValue>, scope: ReceivedScope, requestIndex: number): ReceivedSpan {
  const attributes = decodeAttributes(raw.attributes);
  return {
    resource,
    scope,
    traceId: hex(raw.traceId),
    spanId: hex(raw.spanId),
    parentSpanId: hex(raw.parentSpanId),
    traceState: raw.traceState,
    flags: raw.flags,
    name: raw.name,
    kind: raw.kind,
    startTimeUnixNano: toBigInt(raw.startTimeUnixNano, false),
    endTimeUnixNano: toBigInt(raw.endTimeUnixNano, false),
    status: { code: raw.status?.code ?? 0, message: raw.status?.message ?? '' },
    attributes: attributes.values,
    attributeTypes: attributes.types,
    droppedAttributesCount: raw.droppedAttributesCount,
    events: raw.events.map((e) => ({ name: e.name, timeUnixNano: toBigInt(e.timeUnixNano, false), attributes: decodeAttributes(e.attributes).values })),
    links: raw.links.map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), traceState: l.traceState, attributes: decodeAttributes(l.attributes).values })),
    requestIndex,
  };
}

export function decodeRequest(raw: RawExportRequest, requestIndex: number): ReceivedResourceSpans[] {
  return raw.resourceSpans.map((rs) => {
    const resource = decodeAttributes(rs.resource?.attributes ?? []);
    return {
      resource: resource.values,
      resourceTypes: resource.types,
      scopeSpans: rs.scopeSpans.map((ss) => {
        const scope: ReceivedScope = {
          name: ss.scope?.name ?? '',
          version: ss.scope?.version ?? '',
          attributes: decodeAttributes(ss.scope?.attributes ?? []).values,
        };
        return { scope, spans: ss.spans.map((s) => decodeSpan(s, resource.values, scope, requestIndex)) };
      }),
    };
  });
}
