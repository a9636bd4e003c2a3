import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Logger } from '../common/logger';

export interface SunkMessage {
  id: number;
  receivedAt: string;
  envelope: { from: string | null; to: string[] };
  headers: Record<string, string>;
  text: string;
}

export interface MailSink {
  port: number;
  messages(): SunkMessage[];
  close(): Promise<void>;
}

const KEEP = 100;

function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`);
  try {
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
  } catch {
    return text;
  }
}

/** RFC 2047 encoded words, so the mailbox shows "Městská knihovna" rather than =?UTF-8?Q?...?=. */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (word, charset: string, encoding: string, data: string) => {
    if (!/^utf-8$/i.test(charset)) return word;
    return encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' '));
  });
}

function parse(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const text = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  const encoding = headers['content-transfer-encoding']?.toLowerCase();
  if (encoding === 'quoted-printable') return { headers, text: decodeQuotedPrintable(text) };
  if (encoding === 'base64') return { headers, text: Buffer.from(text, 'base64').toString('utf8') };
  return { headers, text };
}

/**
 * A local SMTP server for newcomers (outside production only): the demo's servers deliver here,
 * and GET /dev/mailbox lists what arrived, so a test mail can be seen with nothing installed.
 */
export async function startMailSink(port: number, logger: Logger, host = '127.0.0.1'): Promise<MailSink> {
  const received: SunkMessage[] = [];
  let next = 1;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'mail configuration gateway development sink',
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const { headers, text } = parse(Buffer.concat(chunks).toString('utf8'));
        const message: SunkMessage = {
          id: next++,
          receivedAt: new Date().toISOString(),
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          headers,
          text,
        };
        received.push(message);
        if (received.length > KEEP) received.shift();
        logger.log('info', 'development mail sink received a message', {
          id: message.id,
          from: headers.from,
          to: message.envelope.to,
          subject: headers.subject,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    messages: () => [...received].reverse(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
