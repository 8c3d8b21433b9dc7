import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files made for a test: a certificate authority, and certificates it signed. */
export interface Authority {
  readonly ca: string;
  readonly caKey: string;
}

export interface Identity {
  readonly cert: string;
  readonly key: string;
}

function openssl(args: string[], dir: string): void {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (run.error)
    throw new Error(
      `openssl could not be run (${run.error.message}): install it (apt-get install openssl)`,
    );
  if (run.status !== 0)
    throw new Error(`openssl ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
}

/** `openssl req` arguments for a new unencrypted P-256 key, written to the file that follows. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout'];

/** A new certificate authority in `dir`, named `name`. */
export function makeAuthority(dir: string, name: string): Authority {
  const ca = join(dir, `${name}.pem`);
  const caKey = join(dir, `${name}.key`);
  openssl(
    ['req', '-x509', ...NEW_KEY, caKey, '-out', ca, '-days', '2', '-subj', `/CN=${name}`],
    dir,
  );
  return { ca, caKey };
}

/** A certificate `authority` signed for localhost and `addresses`, as server and client. */
export function makeIdentity(
  dir: string,
  name: string,
  authority: Authority,
  addresses: readonly string[] = ['127.0.0.1'],
): Identity {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extensions = join(dir, `${name}.ext`);
  writeFileSync(
    extensions,
    `subjectAltName=${addresses.map((address) => `IP:${address}`).join(',')},DNS:localhost\n` +
      'extendedKeyUsage=serverAuth,clientAuth\n',
  );
  openssl(['req', ...NEW_KEY, key, '-out', csr, '-subj', `/CN=${name}`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      authority.ca,
      '-CAkey',
      authority.caKey,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '2',
      '-extfile',
      extensions,
    ],
    dir,
  );
  return { cert, key };
}
