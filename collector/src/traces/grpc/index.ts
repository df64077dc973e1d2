/** The OTLP/gRPC capability's public surface; the plugin is in plugin.ts. */
export { createGrpcReceiver, peerAddress, type GrpcReceiver } from './receiver.ts';
export { decodeStatusDetails, encodeStatusWithRetry, STATUS_DETAILS_KEY } from './status.ts';
export { otlpGrpcPlugin } from './plugin.ts';
