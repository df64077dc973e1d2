/**
 * `node --import ./src/tracing/register.ts <script>`: starts tracing before anything else is
 * loaded, for scripts other than src/main.ts (which starts it itself, first thing).
 * The service name comes from OTEL_SERVICE_NAME (default `demo`).
 */
import { startTracing } from './sdk.ts';

const tracing = startTracing(process.env.OTEL_SERVICE_NAME || 'demo');
process.once('beforeExit', () => void tracing.shutdown());
