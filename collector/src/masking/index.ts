/**
 * Masking of sensitive payload fields and headers in the API's record views. Other capabilities
 * mask a DLQ record view with `maskRecordView(app.masking, record)` (or `app.masking.dlqRecord`)
 * and honour `?unmask=true` through `unmaskRequested(req, query.unmask, target)`.
 */
export { MASK, Masking } from './masking.ts';
export { PATH_SYNTAX, parseFieldPath, type PathStep } from './paths.ts';
export { maskingPlugin } from './plugin.ts';
export { UNMASK_ACTION, unmaskRequested } from './unmask.ts';

import type { DlqRecord } from '../dlq/service.ts';
import type { Masking } from './masking.ts';

/** A DLQ record as a view shows it: masked unless `unmasked` (an operator asked, see unmaskRequested). */
export function maskRecordView<R extends DlqRecord>(masking: Masking, record: R, unmasked = false): R {
  return unmasked ? record : masking.dlqRecord(record);
}
