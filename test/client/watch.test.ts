import { GatewayError, type EffectiveMailConfig, type Watch } from 'mail-config-gateway-client';
import { signToken } from '../../src/auth/token-verifier';
import { createServer } from '../support/fixtures';
import { describeEachDatabase, TEST_JWT_SECRET } from '../support/gateway';
import { HOST } from '../transport/smtp-fixtures';
import { clientFor, foreignToken, libraryWithChain, startRelay, updateLibrary } from './client-fixtures';

/**
 * watchEffectiveMailConfig against the gateway's subscription (graphql-ws on /graphql): the
 * current configuration, then each change made through the API; reconnects with a fresh token;
 * 4403 and FORBIDDEN end it with a typed error instead of a retry.
 */

const watches: Array<Watch<unknown>> = [];
afterEach(() => {
  for (const watch of watches.splice(0)) watch.close();
});

function track<T>(watch: Watch<T>): Watch<T> {
  watches.push(watch as Watch<unknown>);
  return watch;
}

async function nextValue<T>(watch: Watch<T>): Promise<T> {
  const result = await watch.next();
  if (result.done) throw new Error('the watch ended');
  return result.value;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const serverIds = (config: EffectiveMailConfig) => config.servers.map((server) => server.id);

describeEachDatabase('client watchEffectiveMailConfig (subscription)', (gw) => {
  it('R4: yields the current configuration, then the change made through the API, and ends when closed', async () => {
    const { servers, library } = await libraryWithChain(gw(), [{ port: 2525 }]);
    const other = await createServer(gw(), { host: HOST, port: 2526 });
    const watch = track(clientFor(gw(), gw().tokens.service).client.watchEffectiveMailConfig({ libraryId: library.id }));

    const first = await nextValue(watch);
    expect(serverIds(first)).toEqual([servers[0].id]);
    expect(first.library.id).toBe(library.id);

    await updateLibrary(gw(), library.id, { smtpServerId: other.id });
    const second = await nextValue(watch);
    expect(serverIds(second)).toEqual([other.id]);
    expect(second.revision).toBeGreaterThan(first.revision);

    watch.close();
    await expect(watch.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('reconnects after the connection drops, with a token fetched again, and goes on with the changes', async () => {
    const relay = await startRelay(Number(new URL(gw().url).port));
    try {
      const { library } = await libraryWithChain(gw(), [{ port: 2525 }]);
      const other = await createServer(gw(), { host: HOST, port: 2526 });
      const { client, tokenCalls } = clientFor(gw(), gw().tokens.service, { baseUrl: relay.url });
      const watch = track(client.watchEffectiveMailConfig({ libraryId: library.id }));
      await nextValue(watch);
      expect(tokenCalls()).toBe(1);

      relay.cut();
      // After the reconnect the gateway sends the current configuration again.
      await nextValue(watch);
      expect(tokenCalls()).toBe(2);
      expect(relay.connections()).toBe(2);

      await updateLibrary(gw(), library.id, { smtpServerId: other.id });
      expect(serverIds(await nextValue(watch))).toEqual([other.id]);
    } finally {
      await relay.close();
    }
  });

  it('a token that expires while connected (4401): reconnects at once with a fresh token from getToken()', async () => {
    const { library } = await libraryWithChain(gw(), [{ port: 2525 }]);
    const other = await createServer(gw(), { host: HOST, port: 2526 });
    const shortLived = await signToken(TEST_JWT_SECRET, { sub: 'service-short', roles: ['service'] }, {}, '2s');
    const { client, tokenCalls } = clientFor(gw(), [shortLived, gw().tokens.service]);
    const watch = track(client.watchEffectiveMailConfig({ libraryId: library.id }));
    await nextValue(watch);
    expect(tokenCalls()).toBe(1);

    // The gateway closes with 4401 when the token expires; the reconnect brings the configuration again.
    await nextValue(watch);
    expect(tokenCalls()).toBe(2);
    await updateLibrary(gw(), library.id, { smtpServerId: other.id });
    expect(serverIds(await nextValue(watch))).toEqual([other.id]);
  });

  it('a token refused twice (4401): GatewayError UNAUTHENTICATED after one fresh token, no endless reconnects', async () => {
    const { client, tokenCalls } = clientFor(gw(), foreignToken);
    const watch = track(client.watchEffectiveMailConfig({ libraryId: 1 }));

    const error = await rejection(watch.next());

    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('UNAUTHENTICATED');
    expect((error as GatewayError).message).toMatch(/4401/);
    expect(tokenCalls()).toBe(2);
    await expect(watch.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('4403: a token whose roles may not subscribe is GatewayError FORBIDDEN and not retried', async () => {
    const noRoles = await gw().token({ sub: 'nobody', roles: [] });
    const { client, tokenCalls } = clientFor(gw(), noRoles);
    const watch = track(client.watchEffectiveMailConfig({ libraryId: 1 }));

    const error = await rejection(watch.next());

    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('FORBIDDEN');
    expect((error as GatewayError).message).toMatch(/4403/);
    expect(tokenCalls()).toBe(1);
  });

  it('R2: FORBIDDEN for another library is a GatewayError with the code, not retried', async () => {
    const { library } = await libraryWithChain(gw(), [{ port: 2525 }]);
    const admin = await gw().token({ sub: 'admin-elsewhere', roles: ['library-admin'], libraries: [999998] });
    const { client, tokenCalls } = clientFor(gw(), admin);
    const watch = track(client.watchEffectiveMailConfig({ libraryId: library.id }));

    const error = await rejection(watch.next());

    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('FORBIDDEN');
    expect(tokenCalls()).toBe(1);
  });

  it('a break out of for-await ends the subscription', async () => {
    const { library } = await libraryWithChain(gw(), [{ port: 2525 }]);
    const watch = track(clientFor(gw(), gw().tokens.service).client.watchEffectiveMailConfig({ libraryId: library.id }));
    const seen: number[] = [];
    for await (const config of watch) {
      seen.push(config.revision);
      break;
    }
    expect(seen).toHaveLength(1);
    await expect(watch.next()).resolves.toEqual({ value: undefined, done: true });
  });
});
