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
import type { ClusterSpec } from './cluster-config.ts';
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

/**
 * One cluster's security settings, whichever keys they came from: the primary cluster's `kafka*`
 * keys or an entry of `kafkaClusters` (kafka/clusters.ts).
 */
export interface SecuritySettings {
  tls?: boolean;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  saslPasswordFile?: string;
}

/** How an error names a setting: `kafkaTlsCaFile` for the primary cluster, `kafkaClusters[east].tlsCaFile` for another. */
export type SettingName = (field: keyof SecuritySettings) => string;

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

/** The SASL password: from the file at every call (rotation without restart), else the setting. */
function passwordProvider(s: SecuritySettings, name: SettingName): string | (() => string) {
  const file = s.saslPasswordFile;
  if (file === undefined) return s.saslPassword ?? '';
  readPem(name('saslPasswordFile'), file); // fail fast at startup when it cannot be read
  return () => readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/** The primary cluster's keys by their config names (with the environment variable where it helps). */
const primaryName: SettingName = (field) => `kafka${field.charAt(0).toUpperCase()}${field.slice(1)}`;

/** Checks the primary cluster's security keys together and builds the client options; throws CONFIG_INVALID. */
export function kafkaSecurity(config: SecurityKeys): KafkaSecurity {
  return clusterSecurity(
    {
      tls: config.kafkaTls,
      tlsCaFile: config.kafkaTlsCaFile,
      tlsCertFile: config.kafkaTlsCertFile,
      tlsKeyFile: config.kafkaTlsKeyFile,
      saslMechanism: config.kafkaSaslMechanism,
      saslUsername: config.kafkaSaslUsername,
      saslPassword: config.kafkaSaslPassword,
      saslPasswordFile: config.kafkaSaslPasswordFile,
    },
    primaryName,
  );
}

/** Checks one cluster's security settings together and builds its client options; throws CONFIG_INVALID. */
export function clusterSecurity(s: SecuritySettings, name: SettingName): KafkaSecurity {
  const out: KafkaSecurity = {};
  const tlsOnly = (['tlsCaFile', 'tlsCertFile', 'tlsKeyFile'] as const).filter((k) => s[k] !== undefined);
  if (!s.tls && tlsOnly.length > 0) {
    throw invalid(`${tlsOnly.map(name).join(', ')} set while ${name('tls')} is not true`);
  }
  if ((s.tlsCertFile === undefined) !== (s.tlsKeyFile === undefined)) {
    throw invalid(`${name('tlsCertFile')} and ${name('tlsKeyFile')} go together (mutual TLS needs both)`);
  }
  if (s.tls) {
    const tls: TlsOptions = { rejectUnauthorized: true };
    if (s.tlsCaFile !== undefined) tls.ca = readPem(name('tlsCaFile'), s.tlsCaFile);
    if (s.tlsCertFile !== undefined && s.tlsKeyFile !== undefined) {
      tls.cert = readPem(name('tlsCertFile'), s.tlsCertFile);
      tls.key = readPem(name('tlsKeyFile'), s.tlsKeyFile);
    }
    out.tls = tls;
  }
  const mechanism = s.saslMechanism as SASLOptions['mechanism'] | undefined;
  const saslKeys = (['saslUsername', 'saslPassword', 'saslPasswordFile'] as const).filter((k) => s[k] !== undefined);
  if (mechanism === undefined) {
    if (saslKeys.length > 0) throw invalid(`${saslKeys.map(name).join(', ')} set without ${name('saslMechanism')}`);
    return out;
  }
  if (s.saslUsername === undefined)
    throw invalid(`${name('saslMechanism')} ${mechanism} needs ${name('saslUsername')}`);
  if ((s.saslPassword === undefined) === (s.saslPasswordFile === undefined)) {
    throw invalid(
      `${name('saslMechanism')} ${mechanism} needs exactly one of ${name('saslPassword')} and ${name('saslPasswordFile')}`,
    );
  }
  out.sasl = { mechanism, username: s.saslUsername, password: passwordProvider(s, name) };
  return out;
}

/** A `kafkaClusters` entry's TLS and SASL, checked as the primary's are; errors name the entry. */
export function specSecurity(spec: ClusterSpec): KafkaSecurity {
  return clusterSecurity(spec, (field) => `kafkaClusters[${spec.name}].${field}`);
}
