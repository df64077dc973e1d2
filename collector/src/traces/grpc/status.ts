/**
 * gRPC's rich error model for OTLP/gRPC: a refused export names when to retry with a
 * `google.rpc.RetryInfo` in the `grpc-status-details-bin` trailer, a serialized
 * `google.rpc.Status` whose `details` hold it as a `google.protobuf.Any` (the OTLP
 * specification's throttling signal: exporters wait `retry_delay`, then retry). Field numbers
 * from googleapis google/rpc/status.proto, google/rpc/error_details.proto and protobuf's
 * any.proto / duration.proto, written as a protobufjs JSON descriptor like otlp/protobuf.ts.
 */
import protobuf from 'protobufjs';

const root = protobuf.Root.fromJSON({
  nested: {
    rpc: {
      nested: {
        Status: {
          fields: {
            code: { id: 1, type: 'int32' },
            message: { id: 2, type: 'string' },
            details: { id: 3, type: 'Any', rule: 'repeated' },
          },
        },
        Any: { fields: { typeUrl: { id: 1, type: 'string' }, value: { id: 2, type: 'bytes' } } },
        RetryInfo: { fields: { retryDelay: { id: 1, type: 'Duration' } } },
        Duration: { fields: { seconds: { id: 1, type: 'int64' }, nanos: { id: 2, type: 'int32' } } },
      },
    },
  },
});

const Status = root.lookupType('rpc.Status');
const RetryInfo = root.lookupType('rpc.RetryInfo');

/** The trailer that carries a serialized google.rpc.Status (gRPC's rich error model). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** A google.rpc.Status of `code` and `message` with a RetryInfo of `retryDelayMs`. */
export function encodeStatusWithRetry(code: number, message: string, retryDelayMs: number): Buffer {
  const retryInfo = RetryInfo.encode(
    RetryInfo.fromObject({
      retryDelay: { seconds: Math.floor(retryDelayMs / 1000), nanos: (retryDelayMs % 1000) * 1_000_000 },
    }),
  ).finish();
  const status = Status.fromObject({ code, message, details: [{ typeUrl: RETRY_INFO_TYPE_URL, value: retryInfo }] });
  return Buffer.from(Status.encode(status).finish());
}

/** Reads a `grpc-status-details-bin` value: the status, and the RetryInfo delay if it holds one (tests, docs). */
export function decodeStatusDetails(bytes: Uint8Array): { code: number; message: string; retryDelayMs?: number } {
  const status = Status.toObject(Status.decode(bytes), { longs: Number, defaults: true }) as {
    code: number;
    message: string;
    details: { typeUrl: string; value: Uint8Array }[];
  };
  const out: { code: number; message: string; retryDelayMs?: number } = { code: status.code, message: status.message };
  for (const any of status.details) {
    if (any.typeUrl !== RETRY_INFO_TYPE_URL) continue;
    const info = RetryInfo.toObject(RetryInfo.decode(any.value), { longs: Number, defaults: true }) as {
      retryDelay?: { seconds: number; nanos: number };
    };
    if (info.retryDelay) out.retryDelayMs = info.retryDelay.seconds * 1000 + info.retryDelay.nanos / 1_000_000;
  }
  return out;
}
