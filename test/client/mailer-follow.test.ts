import type { GatewayError, Mailer, MailerConfiguration } from 'mail-config-gateway-client';
import { createServer } from '../support/fixtures';
import { describeEachDatabase } from '../support/gateway';
import { closedPort, HOST, startSmtpSink, TestServers } from '../transport/smtp-fixtures';
import { clientFor, eventually, foreignToken, libraryWithChain, nextCall, updateLibrary } from './client-fixtures';

/**
 * A mailer runs for days while support staff change the configuration: the change arrives on the
 * gateway's change stream and applies to the next mail, without recreating the mailer (R4, R11).
 * Without the stream every mail fetches the chain, so a change applies all the same.
 */

const MESSAGE = { to: 'reader@example.net', subject: 'Reservation ready', text: 'Your book is waiting at the desk.' };
const sinks = new TestServers();
const mailers: Mailer[] = [];

afterEach(async () => {
  await Promise.all(mailers.splice(0).map((mailer) => mailer.close()));
});
afterAll(() => sinks.closeAll());

/** GraphQL requests the gateway answered since `from` (its request log). */
function graphqlRequests(logLines: string[], from: number): number {
  return logLines.slice(from).filter((line) => {
    const entry = JSON.parse(line) as { msg: string; path?: string; method?: string };
    return entry.msg === 'request' && entry.path === '/graphql' && entry.method === 'POST';
  }).length;
}

describeEachDatabase('client mailer: configuration changes apply to the next mail', (gw) => {
  it('R4: a library switched to another server through the API: the next mail goes there, same mailer, no request per mail', async () => {
    const before = await sinks.add(startSmtpSink());
    const after = await sinks.add(startSmtpSink());
    const { library } = await libraryWithChain(gw(), [{ port: before.port }]);
    const replacement = await createServer(gw(), { host: HOST, port: after.port, connectionTimeoutMs: 3000, timeoutMs: 5000 });
    const changes = nextCall<MailerConfiguration>();
    const mailer = clientFor(gw(), gw().tokens.credentials).client.createMailer({ libraryId: library.id, onChange: changes.callback });
    mailers.push(mailer);

    await eventually(() => mailer.following, 'the mailer follows the change stream');
    const logFrom = gw().logLines.length;
    const first = await mailer.sendMail(MESSAGE);
    expect(first.deliveredBy.port).toBe(before.port);
    // Following the stream, the kept configuration is used: no request to the gateway per mail.
    expect(graphqlRequests(gw().logLines, logFrom)).toBe(0);

    await updateLibrary(gw(), library.id, { smtpServerId: replacement.id });
    const changed = await changes.next();
    expect(changed.servers.map((server) => server.id)).toEqual([replacement.id]);

    const second = await mailer.sendMail(MESSAGE);
    expect(second.deliveredBy).toEqual({ id: replacement.id, name: replacement.name, host: HOST, port: after.port });
    expect(second.revision).toBe(changed.revision);
    expect(before.received).toHaveLength(1);
    expect(after.received).toHaveLength(1);
  });

  it('a change stream refused for its token is taken up again once the gateway accepts a fresh token', async () => {
    const sink = await sinks.add(startSmtpSink());
    const { library } = await libraryWithChain(gw(), [{ port: sink.port }]);
    const refused = await foreignToken();
    // The token service hands out bad tokens for a while (the stream's first try and its retry), then good ones.
    const { client } = clientFor(gw(), [refused, refused, gw().tokens.credentials]);
    const followErrors = nextCall<GatewayError>();
    const mailer = client.createMailer({ libraryId: library.id, onFollowError: followErrors.callback });
    mailers.push(mailer);

    expect((await followErrors.next()).code).toBe('UNAUTHENTICATED');
    expect(mailer.following).toBe(false);
    // The mail fetches the chain (401, then a fresh token), and the stream starts again with that token.
    expect((await mailer.sendMail(MESSAGE)).deliveredBy.port).toBe(sink.port);
    await eventually(() => mailer.following, 'the mailer follows the change stream again');
  });

  it('R4: without the change stream (its endpoint unreachable) each mail fetches the chain, so a change applies to the next mail too', async () => {
    const before = await sinks.add(startSmtpSink());
    const after = await sinks.add(startSmtpSink());
    const { library } = await libraryWithChain(gw(), [{ port: before.port }]);
    const replacement = await createServer(gw(), { host: HOST, port: after.port, connectionTimeoutMs: 3000, timeoutMs: 5000 });
    const { client } = clientFor(gw(), gw().tokens.credentials, { wsUrl: `ws://${HOST}:${await closedPort()}/graphql` });
    const mailer = client.createMailer({ libraryId: library.id });
    mailers.push(mailer);

    expect((await mailer.sendMail(MESSAGE)).deliveredBy.port).toBe(before.port);
    await updateLibrary(gw(), library.id, { smtpServerId: replacement.id });
    expect((await mailer.sendMail(MESSAGE)).deliveredBy.port).toBe(after.port);

    expect(mailer.following).toBe(false);
    expect(before.received).toHaveLength(1);
    expect(after.received).toHaveLength(1);
  });
});
