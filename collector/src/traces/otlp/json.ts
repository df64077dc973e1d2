/**
 * OTLP/JSON (the protobuf JSON mapping with OTLP's exceptions: trace and span ids as hex,
 * enum values as integers). Parsing stops at the wire types; wire.ts makes domain spans.
 */
import { jsonDepthProblem } from '../../lib/json-guard.ts';
import { MalformedExport, type WireExportTraceServiceRequest, type WireExportTraceServiceResponse } from './wire.ts';

export function decodeJsonRequest(body: Buffer): WireExportTraceServiceRequest {
  // Nesting is checked before parsing: JSON.parse of deeply nested bytes blocks the event loop.
  const problem = jsonDepthProblem(body);
  if (problem !== undefined) throw new MalformedExport(problem);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new MalformedExport(`body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedExport('body must be a JSON object (ExportTraceServiceRequest)');
  }
  return parsed;
}

export function encodeJsonResponse(rejectedSpans: number, errorMessage: string | null): WireExportTraceServiceResponse {
  return rejectedSpans > 0 || errorMessage
    ? { partialSuccess: { rejectedSpans, errorMessage: errorMessage ?? '' } }
    : {};
}
