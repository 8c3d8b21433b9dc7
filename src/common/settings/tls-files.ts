import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The PEM texts of TLS (mutual on the TCP links, towards the broker otherwise): this process's certificate, its key, the CA. */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

type Given = Partial<Record<'TLS_CA' | 'TLS_CERT' | 'TLS_KEY', string>>;

/**
 * Reads TLS_CA, TLS_CERT and TLS_KEY (all three, or none), and checks what a handshake would
 * find later: each file readable PEM, the key the certificate's. Answers the files, or the problems.
 */
export function readTlsFiles(given: Given): { files?: TlsFiles; problems: string[] } {
  const names = ['TLS_CA', 'TLS_CERT', 'TLS_KEY'] as const;
  const set = names.filter((name) => given[name] !== undefined);
  if (set.length === 0) return { problems: [] };
  if (set.length < names.length)
    return {
      problems: [
        `mutual TLS needs TLS_CA, TLS_CERT and TLS_KEY together (${names.filter((name) => !set.includes(name)).join(', ')} missing)`,
      ],
    };
  const problems: string[] = [];
  const read = (name: (typeof names)[number]): string => {
    try {
      return readFileSync(given[name] as string, 'utf8');
    } catch (error) {
      problems.push(`${name}: cannot read ${given[name]}: ${(error as Error).message}`);
      return '';
    }
  };
  const [ca, cert, key] = names.map(read);
  if (problems.length > 0) return { problems };
  const parsed = <T>(name: string, parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      problems.push(
        `${name}: ${given[name as keyof Given]} is not a PEM ${name === 'TLS_KEY' ? 'private key' : 'certificate'} (${(error as Error).message})`,
      );
      return undefined;
    }
  };
  parsed('TLS_CA', () => new X509Certificate(ca));
  const certificate = parsed('TLS_CERT', () => new X509Certificate(cert));
  const privateKey = parsed('TLS_KEY', () => createPrivateKey(key));
  if (certificate && privateKey && !certificate.checkPrivateKey(privateKey))
    problems.push(
      `TLS_KEY: ${given.TLS_KEY} is not the key of the certificate in ${given.TLS_CERT}`,
    );
  return problems.length > 0 ? { problems } : { files: { ca, cert, key }, problems };
}

/** A file a setting names (a credentials file), read at start; undefined when the setting is unset. */
export function readSecretFile(
  name: string,
  path: string | undefined,
): { text?: string; problems: string[] } {
  if (path === undefined) return { problems: [] };
  try {
    const text = readFileSync(path, 'utf8');
    return text.trim() === ''
      ? { problems: [`${name}: ${path} is empty`] }
      : { text, problems: [] };
  } catch (error) {
    return { problems: [`${name}: cannot read ${path}: ${(error as Error).message}`] };
  }
}
