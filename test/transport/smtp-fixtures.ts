import net from 'node:net';
import forge from 'node-forge';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { TransportServer } from '../../src/mail/transport/smtp-transport';

/** Everything here listens on loopback only, on ephemeral ports. */
export const HOST = '127.0.0.1';

export interface TestPki {
  caPem: string;
  serverKeyPem: string;
  serverCertPem: string;
}

/** A throwaway CA and a server certificate it signed, valid for 127.0.0.1 and localhost (SAN) unless other names are given. */
export function createTestPki(caName = 'Mail Gateway Test CA', names: { dns: string[]; ips: string[] } = { dns: ['localhost'], ips: [HOST] }): TestPki {
  const caKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const caSubject = [
    { name: 'commonName', value: caName },
    { name: 'organizationName', value: 'Mail Gateway Tests' },
  ];
  const ca = newCertificate(caKeys.publicKey, caSubject, caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const leaf = newCertificate(serverKeys.publicKey, [{ name: 'commonName', value: 'localhost' }], caSubject);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...names.dns.map((value) => ({ type: 2, value })), ...names.ips.map((ip) => ({ type: 7, ip }))],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  leaf.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caPem: forge.pki.certificateToPem(ca),
    serverKeyPem: forge.pki.privateKeyToPem(serverKeys.privateKey),
    serverCertPem: forge.pki.certificateToPem(leaf),
  };
}

function newCertificate(publicKey: forge.pki.PublicKey, subject: forge.pki.CertificateField[], issuer: forge.pki.CertificateField[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A leading zero nibble keeps the DER integer positive.
  cert.serialNumber = `0${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  return cert;
}

export interface SmtpReply {
  code: number;
  message: string;
}

export interface SinkOptions {
  /**
   * none: no STARTTLS at all (not offered, refused when sent anyway); starttls: offered;
   * starttls-hidden: not advertised but accepted; implicit: TLS from the first byte.
   */
  tls?: 'none' | 'starttls' | 'starttls-hidden' | 'implicit';
  pki?: TestPki;
  /** AUTH offered and required; only these credentials are accepted. Without it AUTH is not offered. */
  credentials?: { username: string; password: string };
  rejectConnect?: SmtpReply;
  rejectMailFrom?: SmtpReply;
  /** Rejects every AUTH with this reply (the credentials are not checked). */
  rejectAuth?: SmtpReply;
  rejectRcptTo?: SmtpReply;
  rejectData?: SmtpReply;
  /** Read the whole message, then never answer it. */
  hangAfterData?: boolean;
  /** Listen on this port (to start a stopped server again where it was); ephemeral otherwise. */
  port?: number;
}

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  raw: string;
  secure: boolean;
  user: string | null;
}

export interface AuthAttempt {
  method: string;
  username: string | null;
  accepted: boolean;
}

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

export interface SmtpSink extends TestServer {
  /** Messages the server accepted (answered 250 after DATA). */
  received: ReceivedMail[];
  /** AUTH commands that reached the credential check. */
  authAttempts: AuthAttempt[];
  /** Every byte clients sent before any TLS layer; shows whether a secret ever crossed in plaintext. */
  plaintextFromClients(): string;
  connections(): number;
}

function replyError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const tlsMode = options.tls ?? 'none';
  if (tlsMode !== 'none' && !options.pki) throw new Error(`tls: ${tlsMode} needs a pki`);
  const received: ReceivedMail[] = [];
  const authAttempts: AuthAttempt[] = [];
  const rawChunks: Buffer[] = [];
  let connections = 0;

  const disabledCommands: string[] = [];
  if (tlsMode === 'none') disabledCommands.push('STARTTLS');
  if (!options.credentials) disabledCommands.push('AUTH');

  const serverOptions: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    socketTimeout: 5000,
    closeTimeout: 200,
    secure: tlsMode === 'implicit',
    hideSTARTTLS: tlsMode === 'starttls-hidden',
    ...(options.pki ? { key: options.pki.serverKeyPem, cert: options.pki.serverCertPem } : {}),
    disabledCommands,
    authOptional: !options.credentials,
    allowInsecureAuth: false,
    onConnect(_session, callback) {
      connections += 1;
      callback(options.rejectConnect ? replyError(options.rejectConnect) : null);
    },
    onAuth(auth, _session, callback) {
      if (options.rejectAuth) {
        authAttempts.push({ method: auth.method, username: auth.username ?? null, accepted: false });
        return callback(replyError(options.rejectAuth));
      }
      const expected = options.credentials;
      const accepted = !!expected && auth.username === expected.username && auth.password === expected.password;
      authAttempts.push({ method: auth.method, username: auth.username ?? null, accepted });
      if (accepted) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onMailFrom(_address, _session, callback) {
      callback(options.rejectMailFrom ? replyError(options.rejectMailFrom) : null);
    },
    onRcptTo(_address, _session, callback) {
      callback(options.rejectRcptTo ? replyError(options.rejectRcptTo) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (options.hangAfterData) return;
        if (options.rejectData) return callback(replyError(options.rejectData));
        const { mailFrom, rcptTo } = session.envelope;
        received.push({
          mailFrom: mailFrom ? mailFrom.address : '',
          rcptTo: rcptTo.map((address) => address.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : null,
        });
        callback(null);
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', () => undefined);
  server.server.on('connection', (socket: net.Socket) => {
    socket.on('data', (chunk: Buffer) => rawChunks.push(chunk));
  });
  const port = await listen(server.server, () => server.listen(options.port ?? 0, HOST));
  return {
    port,
    received,
    authAttempts,
    plaintextFromClients: () => Buffer.concat(rawChunks).toString('latin1'),
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A TCP server that does `greet` with every connection, counts them, and hangs up on all at close. */
async function startRawServer(greet: (socket: net.Socket) => void = () => undefined): Promise<TestServer & { connections(): number }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    greet(socket);
  });
  const port = await listen(server, () => server.listen(0, HOST));
  return {
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and never says a word: a server that hangs before the greeting. */
export function startSilentServer(): Promise<TestServer & { connections(): number }> {
  return startRawServer();
}

/** A service of another protocol: says `banner` first (as SSH does), then waits; `close` hangs up after it. */
export function startBannerServer(banner: string, options: { close?: boolean } = {}): Promise<TestServer & { connections(): number }> {
  return startRawServer((socket) => (options.close ? socket.end(banner) : socket.write(banner)));
}

/** A loopback port that was free a moment ago, so that connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, () => server.listen(0, HOST));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listen(server: net.Server, start: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve((server.address() as net.AddressInfo).port));
    start();
  });
}

/** Closes every server a test file started, however the tests ended. */
export class TestServers {
  private readonly servers: TestServer[] = [];

  async add<T extends TestServer>(started: Promise<T>): Promise<T> {
    const server = await started;
    this.servers.push(server);
    return server;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((server) => server.close()));
  }
}

let nextId = 1;

export function serverRecord(port: number, overrides: Partial<TransportServer> = {}): TransportServer {
  const id = nextId++;
  return {
    id,
    name: `test-${id}`,
    host: HOST,
    port,
    username: null,
    password: null,
    allowTls: false,
    allowSsl: false,
    requiresAuth: false,
    connectionTimeoutMs: 2000,
    timeoutMs: 2000,
    tlsCaPem: null,
    ...overrides,
  };
}

/** Header value of a raw message (first occurrence, unfolded). */
export function header(raw: string, name: string): string | null {
  const head = raw.split('\r\n\r\n')[0].replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((entry) => entry.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line === undefined ? null : line.slice(name.length + 1).trim();
}

export function headerCount(raw: string, name: string): number {
  const head = raw.split('\r\n\r\n')[0];
  return head.split('\r\n').filter((entry) => entry.toLowerCase().startsWith(`${name.toLowerCase()}:`)).length;
}

export function body(raw: string): string {
  return raw.slice(raw.indexOf('\r\n\r\n') + 4);
}
