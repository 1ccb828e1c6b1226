/**
 * A self-signed certificate for trying the HTTPS recipe on loopback (npm run start:https and its
 * test): made once per directory with openssl, valid for localhost and 127.0.0.1. A real deployment
 * uses a certificate from its CA (docs/production.md).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun } from './run.mjs';

/**
 * @param {string} dir where cert.pem and key.pem live (created if missing)
 * @returns {Promise<{ cert: string, key: string }>} their paths
 */
export async function ensureSelfSignedCert(dir) {
  const cert = join(dir, 'bandmesh-selfsigned.pem');
  const key = join(dir, 'bandmesh-selfsigned.key');
  if (existsSync(cert) && existsSync(key)) return { cert, key };
  await mustRun(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=localhost',
      '-keyout',
      key,
      '-out',
      cert,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
