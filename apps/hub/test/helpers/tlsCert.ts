import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** openssl is there (scripts/ensure-deps.sh installs it); tests that need it skip without. */
export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made at test time into `dir` (never
 * committed): P-256, valid two days. Returns the PEM files' paths; the certificate is its own CA.
 */
export function selfSignedCert(dir: string, cn = 'hopwatch-test-hub'): { cert: string; key: string } {
  const cert = join(dir, 'hub.crt');
  const key = join(dir, 'hub.key');
  execFileSync(
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
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  return { cert, key };
}
