import { createServer, Server } from 'node:http';
import { sendJson } from './http-error';

/**
 * Binds the HTTP port before the database is touched, so a taken port is reported at once and
 * names PORT, rather than after migrations and demo data. Until the gateway takes the server over,
 * every request gets 503 and the connection is closed (no keep-alive outlives the hand-over).
 */
export function reservePort(port: number, host: string): Promise<Server> {
  const server = createServer((_request, response) => {
    response.setHeader('retry-after', '1');
    sendJson(response, 503, { status: 'starting' }, true);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`PORT ${port} is already in use on ${host}`, { cause: error }));
      else if (error.code === 'EACCES') reject(new Error(`PORT ${port} on ${host} may not be used by this user (${error.code})`, { cause: error }));
      else if (error.code === 'EADDRNOTAVAIL') reject(new Error(`HOST ${host} is not an address of this machine (${error.code})`, { cause: error }));
      else reject(error);
    });
    server.listen(port, host, () => resolve(server));
  });
}
