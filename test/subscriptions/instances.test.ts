import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseConfig } from '../../src/config';
import { describeEachDatabase } from '../support/gateway';
import { createLibrary, createServer, unique } from '../support/fixtures';
import { OpsGateway, startGatewayOn } from '../operations/helpers';
import { connectSubscriptions, MAIL_CONFIG_CHANGED, SubscriptionClient, until } from '../support/subscriptions';

/**
 * Instances behind a load balancer share one database: a write through one reaches the
 * subscribers of another within CONFIG_REFRESH_MS plus a margin, with the snapshot and without it
 * (polling the revision). Stopping an instance closes its WebSocket clients with 1001.
 */

const REFRESH_MS = 200;
/** Seeing a write takes at most one refresh interval, then a reload and a resolution. */
const MARGIN_MS = 1500;
const UPDATE_SERVER = `mutation UpdateLibraryServer($id: ID!, $server: ID) { updateLibrary(id: $id, input: { smtpServerId: $server }) { id } }`;

describeEachDatabase('the change stream across instances on one database', (gw) => {
  let dir: string | null = null;
  const gateways: OpsGateway[] = [];
  const clients: SubscriptionClient[] = [];
  let writer: OpsGateway;
  let snapshotReader: OpsGateway;
  let pollingReader: OpsGateway;

  beforeAll(async () => {
    let database: DatabaseConfig;
    if (gw().kind === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'mcg-subscriptions-'));
      database = { type: 'sqlite', path: join(dir, 'shared.sqlite') };
    } else {
      database = { type: 'mysql', url: (gw().dataSource.options as { url: string }).url };
    }
    writer = await startGatewayOn(database, { cache: { enabled: true, refreshMs: 0 } });
    snapshotReader = await startGatewayOn(database, { cache: { enabled: true, refreshMs: REFRESH_MS } });
    pollingReader = await startGatewayOn(database, { cache: { enabled: false, refreshMs: REFRESH_MS } });
    gateways.push(writer, snapshotReader, pollingReader);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    for (const gateway of gateways) await gateway.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`a write through instance A reaches subscribers of instances B (snapshot) and C (polling) within ${REFRESH_MS} ms plus ${MARGIN_MS} ms`, async () => {
    const first = await createServer(writer, { name: unique('Shared first') });
    const second = await createServer(writer, { name: unique('Shared second') });
    const library = (await createLibrary(writer, { contactEmail: 'shared@stream.example.org', smtpServerId: first.id })).id;
    // Subscribing to a library an instance has not seen yet is NOT_FOUND, as the query would be.
    await until('B to know the new library', () => snapshotReader.services.snapshots!.current!.libraries.has(Number(library)), REFRESH_MS + MARGIN_MS);
    const subscriptions = [snapshotReader, pollingReader].map((reader) => {
      const client = connectSubscriptions(reader.url, reader.token);
      clients.push(client);
      return client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: library });
    });
    for (const subscription of subscriptions) {
      const initial = await subscription.next();
      expect(initial.data?.effectiveMailConfigChanged.servers.map((s: any) => s.id)).toEqual([first.id]);
    }
    await writer.ok(UPDATE_SERVER, { id: library, server: second.id });
    for (const subscription of subscriptions) {
      const update = await subscription.next(REFRESH_MS + MARGIN_MS);
      expect(update.data?.effectiveMailConfigChanged.servers.map((s: any) => s.id)).toEqual([second.id]);
    }
  });

  it('stopping an instance closes its WebSocket clients with 1001 and leaves no subscription open', async () => {
    const library = (await createLibrary(writer, { contactEmail: 'stop@stream.example.org' })).id;
    const client = connectSubscriptions(writer.url, writer.token);
    clients.push(client);
    const subscription = client.subscribe(MAIL_CONFIG_CHANGED, { libraryId: library });
    await subscription.next();
    expect(writer.services.mailConfigChanges.open).toBe(1);
    await writer.close();
    expect(await client.closed).toEqual({ code: 1001, reason: 'The gateway is shutting down' });
    expect('error' in (await subscription.ended)).toBe(true);
    await until('the subscription to end on the stopped instance', () => writer.services.mailConfigChanges.open === 0);
  });
});
