import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a MySQL/MariaDB server that can lose the answer to a COMMIT:
 * once armed, the next COMMIT reaches the server (which commits) but nothing the server sends back
 * on that connection reaches the client, as when a network partition starts at that instant.
 * It reads the MySQL packet framing (3-byte length, sequence id, payload) of plain connections.
 */
export interface LossyMysqlProxy {
  port: number;
  /** Loses every answer after the next COMMIT on whichever connection sends it. */
  loseAnswerAfterNextCommit(): void;
  /** How many COMMITs have had their answer lost. */
  readonly lostCommits: number;
  close(): Promise<void>;
}

const COM_QUERY = 0x03;

export async function startLossyMysqlProxy(target: { host: string; port: number }): Promise<LossyMysqlProxy> {
  let armed = false;
  let lostCommits = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    let deaf = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readUIntLE(0, 3);
        if (pending.length < 4 + length) break;
        const payload = pending.subarray(4, 4 + length);
        pending = pending.subarray(4 + length);
        if (armed && payload[0] === COM_QUERY && payload.subarray(1).toString('utf8').trim().toUpperCase() === 'COMMIT') {
          armed = false;
          deaf = true;
          lostCommits += 1;
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!deaf) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    loseAnswerAfterNextCommit() {
      armed = true;
    },
    get lostCommits() {
      return lostCommits;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
