import { domainToASCII } from 'node:url';

export interface ParsedSender {
  /** Address with the domain in lower-case ASCII (punycode), as receivers evaluate it. */
  address: string;
  domain: string;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function parseSender(sender: string): ParsedSender | null {
  const trimmed = typeof sender === 'string' ? sender.trim() : '';
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || /[\s<>]/.test(trimmed)) return null;
  const domain = domainToASCII(
    trimmed
      .slice(at + 1)
      .replace(/\.$/, '')
      .toLowerCase(),
  );
  const labels = domain.split('.');
  if (!domain || domain.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  if (/^\d+$/.test(labels[labels.length - 1])) return null;
  return { address: `${trimmed.slice(0, at)}@${domain}`, domain };
}
