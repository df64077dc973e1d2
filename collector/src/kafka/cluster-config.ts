/**
 * Several Kafka clusters in one collector: the shape of a `kafkaClusters` entry (the clusters
 * besides the primary one the `kafka*` keys describe) and its checks. The config table
 * (config.ts) parses the key with these; kafka/plugin.ts builds one adapter per cluster.
 */
import { Type, type Static } from 'typebox';
import { Errors } from 'typebox/value';

/** A cluster's name: in `?cluster=`, the `cluster` metric label and the lease's snapshot kind. */
export const CLUSTER_NAME_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
const NAME = new RegExp(CLUSTER_NAME_PATTERN);

export const ClusterSpecSchema = Type.Object(
  {
    name: Type.String({ pattern: CLUSTER_NAME_PATTERN, description: 'Unique cluster name ([A-Za-z0-9._-], 1-64).' }),
    brokers: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Bootstrap servers, host:port.' }),
    tls: Type.Optional(Type.Boolean()),
    tlsCaFile: Type.Optional(Type.String({ minLength: 1 })),
    tlsCertFile: Type.Optional(Type.String({ minLength: 1 })),
    tlsKeyFile: Type.Optional(Type.String({ minLength: 1 })),
    saslMechanism: Type.Optional(
      Type.Union([Type.Literal('PLAIN'), Type.Literal('SCRAM-SHA-256'), Type.Literal('SCRAM-SHA-512')]),
    ),
    saslUsername: Type.Optional(Type.String()),
    saslPassword: Type.Optional(Type.String()),
    saslPasswordFile: Type.Optional(Type.String({ minLength: 1 })),
    clientId: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type ClusterSpec = Static<typeof ClusterSpecSchema>;

/** Checks a parsed `kafkaClusters` value; returns what is wrong (naming the entry), or undefined. */
export function checkClusterSpecs(value: unknown): string | undefined {
  if (!Array.isArray(value)) return `expected a JSON array of clusters, got ${JSON.stringify(value)}`;
  const seen = new Set<string>();
  for (const [i, entry] of (value as unknown[]).entries()) {
    const name: unknown = typeof entry === 'object' && entry !== null ? (entry as { name?: unknown }).name : undefined;
    const which = typeof name === 'string' ? `entry ${i} (${JSON.stringify(name)})` : `entry ${i}`;
    const unknown =
      typeof entry === 'object' && entry !== null && !Array.isArray(entry)
        ? Object.keys(entry).filter((k) => !Object.hasOwn(ClusterSpecSchema.properties, k))
        : [];
    if (unknown.length > 0) {
      return `${which}: unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; valid keys: ${Object.keys(ClusterSpecSchema.properties).join(', ')}`;
    }
    const error = Errors(ClusterSpecSchema, entry)[0];
    if (error) {
      const at = error.instancePath === '' ? '' : `${error.instancePath.slice(1).replaceAll('/', '.')}: `;
      return `${which}: ${at}${error.message}`;
    }
    const spec = entry as ClusterSpec;
    if (!NAME.test(spec.name)) return `${which}: name must match ${CLUSTER_NAME_PATTERN}`;
    if (seen.has(spec.name)) return `${which}: the name ${JSON.stringify(spec.name)} is used twice`;
    seen.add(spec.name);
  }
  return undefined;
}
