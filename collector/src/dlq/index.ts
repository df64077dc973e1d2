export { DlqService, decodeValue, toDlqRecord } from './service.ts';
export type { DecodedValue, Decoder, DlqMark, DlqRecord, DlqSample, DlqServiceOptions, DlqState } from './service.ts';
export { dlqPlugin } from './plugin.ts';
