/**
 * OTLP/protobuf: ExportTraceServiceRequest decoded by field numbers from the OTLP
 * specification (opentelemetry-proto v1: collector/trace/v1/trace_service.proto,
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto), with the schema
 * written here as a protobufjs JSON descriptor: nothing is downloaded or read at runtime.
 * Fields the collector does not use (events, dropped counts, schema urls) are left out;
 * protobuf skips unknown fields, so they are still decoded correctly.
 */
import protobuf from 'protobufjs';
import { MalformedExport, type WireExportTraceServiceRequest } from './wire.ts';

const f = (id: number, type: string, rule?: 'repeated'): { id: number; type: string; rule?: string } =>
  rule ? { id, type, rule } : { id, type };

const root = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        // common/v1/common.proto
        AnyValue: {
          oneofs: {
            value: {
              oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'],
            },
          },
          fields: {
            stringValue: f(1, 'string'),
            boolValue: f(2, 'bool'),
            intValue: f(3, 'int64'),
            doubleValue: f(4, 'double'),
            arrayValue: f(5, 'ArrayValue'),
            kvlistValue: f(6, 'KeyValueList'),
            bytesValue: f(7, 'bytes'),
          },
        },
        ArrayValue: { fields: { values: f(1, 'AnyValue', 'repeated') } },
        KeyValueList: { fields: { values: f(1, 'KeyValue', 'repeated') } },
        KeyValue: { fields: { key: f(1, 'string'), value: f(2, 'AnyValue') } },
        InstrumentationScope: {
          fields: {
            name: f(1, 'string'),
            version: f(2, 'string'),
            attributes: f(3, 'KeyValue', 'repeated'),
            droppedAttributesCount: f(4, 'uint32'),
          },
        },
        // resource/v1/resource.proto
        Resource: {
          fields: { attributes: f(1, 'KeyValue', 'repeated'), droppedAttributesCount: f(2, 'uint32') },
        },
        // trace/v1/trace.proto
        ResourceSpans: {
          fields: {
            resource: f(1, 'Resource'),
            scopeSpans: f(2, 'ScopeSpans', 'repeated'),
            schemaUrl: f(3, 'string'),
          },
        },
        ScopeSpans: {
          fields: { scope: f(1, 'InstrumentationScope'), spans: f(2, 'Span', 'repeated'), schemaUrl: f(3, 'string') },
        },
        Span: {
          fields: {
            traceId: f(1, 'bytes'),
            spanId: f(2, 'bytes'),
            traceState: f(3, 'string'),
            parentSpanId: f(4, 'bytes'),
            flags: f(16, 'fixed32'),
            name: f(5, 'string'),
            kind: f(6, 'int32'), // enum SpanKind
            startTimeUnixNano: f(7, 'fixed64'),
            endTimeUnixNano: f(8, 'fixed64'),
            attributes: f(9, 'KeyValue', 'repeated'),
            droppedAttributesCount: f(10, 'uint32'),
            // 11 events, 12 dropped_events_count: not used
            links: f(13, 'Link', 'repeated'),
            droppedLinksCount: f(14, 'uint32'),
            status: f(15, 'Status'),
          },
        },
        Link: {
          fields: {
            traceId: f(1, 'bytes'),
            spanId: f(2, 'bytes'),
            traceState: f(3, 'string'),
            attributes: f(4, 'KeyValue', 'repeated'),
            droppedAttributesCount: f(5, 'uint32'),
            flags: f(6, 'fixed32'),
          },
        },
        // field 1 is reserved
        Status: { fields: { message: f(2, 'string'), code: f(3, 'int32') } },
        // collector/trace/v1/trace_service.proto
        ExportTraceServiceRequest: { fields: { resourceSpans: f(1, 'ResourceSpans', 'repeated') } },
        ExportTraceServiceResponse: { fields: { partialSuccess: f(1, 'ExportTracePartialSuccess') } },
        ExportTracePartialSuccess: { fields: { rejectedSpans: f(1, 'int64'), errorMessage: f(2, 'string') } },
        // google/rpc/status.proto: the body of an OTLP/HTTP error response in protobuf
        RpcStatus: { fields: { code: f(1, 'int32'), message: f(2, 'string') } },
      },
    },
  },
});

const Request = root.lookupType('otlp.ExportTraceServiceRequest');
const Response = root.lookupType('otlp.ExportTraceServiceResponse');
const RpcStatus = root.lookupType('otlp.RpcStatus');

/** The OTLP/gRPC method taking an ExportTraceServiceRequest, from opentelemetry-proto's collector/trace/v1/trace_service.proto. */
export const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Decodes an ExportTraceServiceRequest; MalformedExport when the bytes are not one. */
export function decodeProtobufRequest(body: Uint8Array): WireExportTraceServiceRequest {
  try {
    return Request.decode(body) as unknown as WireExportTraceServiceRequest;
  } catch (err) {
    throw new MalformedExport(`not a protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
}

export function encodeProtobufResponse(rejectedSpans: number, errorMessage: string | null): Uint8Array {
  const msg =
    rejectedSpans > 0 || errorMessage ? { partialSuccess: { rejectedSpans, errorMessage: errorMessage ?? '' } } : {};
  return Response.encode(Response.fromObject(msg)).finish();
}

/** gRPC status codes used in error bodies (google.rpc.Code). */
export const RPC_CODE = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14, INTERNAL: 13 } as const;

export function encodeProtobufStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
}

/** Test helper and documentation: encodes a request in the same schema. */
export function encodeProtobufRequest(req: unknown): Uint8Array {
  return Request.encode(Request.fromObject(req as Record<string, unknown>)).finish();
}

/** Decodes a response (tests). */
export function decodeProtobufResponse(body: Uint8Array): {
  partialSuccess?: { rejectedSpans: number; errorMessage: string };
} {
  const msg = Response.decode(body);
  return Response.toObject(msg, { longs: Number, defaults: false });
}
