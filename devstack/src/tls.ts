/**
 * A throwaway certificate authority for secured Kafka listeners in tests and local trials: a CA,
 * a server certificate for 127.0.0.1/localhost, and a client certificate for mutual TLS, made
 * with the system's `openssl` (Debian's). Keys are unencrypted PKCS#8 PEM, which both Kafka
 * (`ssl.keystore.type=PEM`) and Node's `tls` read as they are.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DevstackError } from './errors.ts';
import { run } from './proc.ts';

export interface Pki {
  dir: string;
  /** The CA certificate (PEM): the trust anchor of servers and clients. */
  caFile: string;
  /** Key and certificate chain of the broker in one PEM file (Kafka's PEM keystore). */
  serverKeystoreFile: string;
  /** The client's certificate and key (PEM), for mutual TLS. */
  clientCertFile: string;
  clientKeyFile: string;
  /** The client's key and certificate in one PEM file (a Java client's PEM keystore). */
  clientKeystoreFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await run('openssl', args, { cwd });
  if (r.code !== 0) {
    throw new DevstackError(
      'START_FAILED',
      `openssl ${args[0] ?? ''} failed: ${(r.stderr || r.stdout).trim().slice(-400)}`,
    );
  }
}

/** A certificate for `cn` signed by the CA in `dir`, with the given subjectAltName (or none). */
async function signed(dir: string, name: string, cn: string, san: string | undefined, usage: string): Promise<void> {
  await openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`],
    dir,
  );
  const ext = [`extendedKeyUsage=${usage}`, ...(san ? [`subjectAltName=${san}`] : [])].join('\n');
  writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '7',
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/** Makes a fresh CA with a server and a client certificate in `dir`. */
export async function makePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true });
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '7',
      '-subj',
      '/CN=eventscope test CA',
    ],
    dir,
  );
  await signed(dir, 'server', 'localhost', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
  await signed(dir, 'client', 'eventscope-collector', undefined, 'clientAuth');
  const keystore = (name: string): string => {
    const file = path.join(dir, `${name}-keystore.pem`);
    writeFileSync(
      file,
      readFileSync(path.join(dir, `${name}.key`), 'utf8') + readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
    );
    return file;
  };
  const serverKeystoreFile = keystore('server');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    serverKeystoreFile,
    clientCertFile: path.join(dir, 'client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    clientKeystoreFile: keystore('client'),
  };
}
