/**
 * How the collector's Kafka clients (admin, DLQ readers, tap, redrive producer, span receiver)
 * reach a secured cluster: TLS with server verification and optional client certificates, and
 * SASL PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512. Checked across keys once at startup (a half
 * configured setting never starts) and handed to every client as the same options.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { SASLOptions } from '@platformatic/kafka';
import type { Config } from '../config.ts';
import { CollectorError } from '../errors.ts';

/** The connection settings every client of one cluster shares (spread into its constructor). */
export interface KafkaSecurity {
  tls?: TlsOptions;
  sasl?: SASLOptions;
}

/** The options every @platformatic/kafka client of one cluster starts from. */
export interface KafkaClientBase extends KafkaSecurity {
  clientId: string;
  bootstrapBrokers: string[];
}

type SecurityKeys = Pick<
  Config,
  | 'kafkaTls'
  | 'kafkaTlsCaFile'
  | 'kafkaTlsCertFile'
  | 'kafkaTlsKeyFile'
  | 'kafkaSaslMechanism'
  | 'kafkaSaslUsername'
  | 'kafkaSaslPassword'
  | 'kafkaSaslPasswordFile'
>;

function invalid(message: string): CollectorError {
  return new CollectorError('CONFIG_INVALID', message);
}

function readPem(key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(`${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The SASL password: from the file at every call (rotation without restart), else the key. */
function passwordProvider(config: SecurityKeys): string | (() => string) {
  const file = config.kafkaSaslPasswordFile;
  if (file === undefined) return config.kafkaSaslPassword ?? '';
  readPem('kafkaSaslPasswordFile', file); // fail fast at startup when it cannot be read
  return () => readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/** Checks the security keys together and builds the client options; throws CONFIG_INVALID. */
export function kafkaSecurity(config: SecurityKeys): KafkaSecurity {
  const out: KafkaSecurity = {};
  const tlsOnly = (['kafkaTlsCaFile', 'kafkaTlsCertFile', 'kafkaTlsKeyFile'] as const).filter(
    (k) => config[k] !== undefined,
  );
  if (!config.kafkaTls && tlsOnly.length > 0) {
    throw invalid(`${tlsOnly.join(', ')} set without kafkaTls (EVENTSCOPE_KAFKA_TLS=true)`);
  }
  if ((config.kafkaTlsCertFile === undefined) !== (config.kafkaTlsKeyFile === undefined)) {
    throw invalid('kafkaTlsCertFile and kafkaTlsKeyFile go together (mutual TLS needs both)');
  }
  if (config.kafkaTls) {
    const tls: TlsOptions = { rejectUnauthorized: true };
    if (config.kafkaTlsCaFile !== undefined) tls.ca = readPem('kafkaTlsCaFile', config.kafkaTlsCaFile);
    if (config.kafkaTlsCertFile !== undefined && config.kafkaTlsKeyFile !== undefined) {
      tls.cert = readPem('kafkaTlsCertFile', config.kafkaTlsCertFile);
      tls.key = readPem('kafkaTlsKeyFile', config.kafkaTlsKeyFile);
    }
    out.tls = tls;
  }
  const mechanism = config.kafkaSaslMechanism as SASLOptions['mechanism'] | undefined;
  const saslKeys = (['kafkaSaslUsername', 'kafkaSaslPassword', 'kafkaSaslPasswordFile'] as const).filter(
    (k) => config[k] !== undefined,
  );
  if (mechanism === undefined) {
    if (saslKeys.length > 0) {
      throw invalid(`${saslKeys.join(', ')} set without kafkaSaslMechanism (EVENTSCOPE_KAFKA_SASL_MECHANISM)`);
    }
    return out;
  }
  if (config.kafkaSaslUsername === undefined) throw invalid(`kafkaSaslMechanism ${mechanism} needs kafkaSaslUsername`);
  if ((config.kafkaSaslPassword === undefined) === (config.kafkaSaslPasswordFile === undefined)) {
    throw invalid(`kafkaSaslMechanism ${mechanism} needs exactly one of kafkaSaslPassword and kafkaSaslPasswordFile`);
  }
  out.sasl = { mechanism, username: config.kafkaSaslUsername, password: passwordProvider(config) };
  return out;
}
