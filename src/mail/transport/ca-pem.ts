import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Parses every certificate of a PEM bundle; throws when there is none or one is malformed. */
function parsePem(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_BLOCK);
  if (!blocks) throw new Error('Not a PEM certificate: no BEGIN/END CERTIFICATE block found');
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new Error(`Certificate ${index + 1} of the PEM is not valid: ${(error as Error).message}`, { cause: error });
    }
  });
}

/** Throws when the text is not a usable PEM certificate (bundle). */
export function assertValidCaPem(pem: string): void {
  parsePem(pem);
}

/** CN of the first certificate of a PEM (the whole subject when it has no CN); throws when invalid. */
export function certificateSubject(pem: string): string {
  const [first] = parsePem(pem);
  const entries = first.subject.split('\n').filter((entry) => entry !== '');
  const cn = entries.find((entry) => entry.startsWith('CN='));
  return cn ? cn.slice(3) : entries.join(', ');
}
