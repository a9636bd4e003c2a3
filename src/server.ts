import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLSchema, Kind, printSchema } from 'graphql';
import { createHash, randomBytes } from 'node:crypto';
import { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { createTokenVerifier } from './auth/token-verifier';
import { Logger } from './common/logger';
import { AppConfig } from './config';
import { GatewayContext, Services } from './context';
import { createCors } from './http/cors';
import { createEndpoints } from './http/endpoints';
import { formatError } from './http/format-error';
import { createGraphQLHandler } from './http/graphql-handler';
import { sendJson } from './http/http-error';
import { createHttpEdge } from './http/http-server';
import { DEFAULT_SHUTDOWN_TIMINGS, ShutdownTimings } from './http/shutdown';
import { createTokenCache, httpIdentity } from './http/token-cache';
import { createGraphQLIde } from './ide/graphql-ide';
import { oneOutboundPerOperationPlugin } from './mail/test-mail.plugin';
import { Metrics } from './observability/metrics';
import { createDocumentStore } from './performance/document-store';
import { EtagSigner } from './performance/etag';
import { PersistedQueryStore } from './performance/persisted-queries';
import { cacheMarkPlugin } from './performance/response-cache';
import { buildGatewaySchema } from './schema';
import { queryCostPlugin } from './security/query-cost.plugin';
import { queryLimitsPlugin } from './security/query-limits';
import { responseTooLarge, stringifyWithin } from './security/response-size';
import { attachSubscriptions } from './subscriptions/websocket-server';

export interface Gateway {
  httpServer: Server;
  listen(port: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  config: AppConfig;
  dataSource: DataSource;
  services: Services;
  logger: Logger;
  metrics?: Metrics;
  /** Outside production: what the development mail sink received, served at GET /dev/mailbox. */
  mailbox?: () => unknown[];
  shutdown?: ShutdownTimings;
  /** A server already bound to the port (start-up binds before the database); taken over here. */
  httpServer?: Server;
  /**
   * The key entity tags are signed with. Instances that share it (and the schema) give the same
   * answer the same tag; without it each process makes its own.
   */
  etagKey?: Buffer;
}

type ApolloServerOptions = Required<Omit<GatewayOptions, 'mailbox' | 'shutdown' | 'httpServer' | 'etagKey'>> & {
  schema: GraphQLSchema;
  persistedQueries: PersistedQueryStore;
};

/** Records each GraphQL operation under its name (or its first root field when anonymous). */
function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, errors, response }) {
          const first = operation?.selectionSet.selections[0];
          const name = operationName ?? (first?.kind === Kind.FIELD ? first.name.value : null);
          const failed = Boolean(errors?.length) || (response.body.kind === 'single' && Boolean(response.body.singleResult.errors?.length));
          metrics.request(name, performance.now() - started, failed);
        },
      };
    },
  };
}

/** The Apollo server with the gateway's schema, limits and error policy; it does no I/O of its own. */
export async function createApolloServer({ config, dataSource, services, logger, metrics, schema, persistedQueries }: ApolloServerOptions) {
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: config.graphql.introspection,
    // "Did you mean ...?" hints would describe the schema to clients that may not introspect it.
    hideSchemaDetailsFromClientErrors: !config.graphql.introspection,
    csrfPrevention: true,
    // A document is refused once it has more tokens than any real query, before it is built.
    parseOptions: { maxTokens: config.graphql.maxTokens },
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT (drain HTTP, then stop Apollo, then close the database). Apollo's
    // own handler would stop Apollo first, and a second stop() racing it never settles (Apollo 5),
    // so the shutdown never reached the database: exit 1 by the 9 s timer on MySQL.
    stopOnTerminationSignals: false,
    formatError: formatError(logger, !config.graphql.introspection),
    // Compact JSON: pretty-printing a list of thousands of departments costs more than building it.
    // Past the ceiling the answer is dropped for an error, never built into one huge string.
    stringifyResult: (result) => {
      const text = stringifyWithin(result, config.queryCost.maxResponseBytes);
      if (text !== null) return text;
      logger.log('warn', 'answer larger than GRAPHQL_MAX_RESPONSE_BYTES replaced by an error', { limit: config.queryCost.maxResponseBytes });
      return responseTooLarge(config.queryCost.maxResponseBytes);
    },
    documentStore: createDocumentStore(config.memory.documentCacheBytes),
    persistedQueries: { cache: persistedQueries },
    // No HTTP cache hints are used, and the plugin would wrap every field resolver.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      queryLimitsPlugin(config.graphql),
      queryCostPlugin(config.queryCost, dataSource, () => services.snapshots?.current ?? null),
      oneOutboundPerOperationPlugin(),
      metricsPlugin(metrics),
      cacheMarkPlugin(),
    ],
  });
  await apollo.start();
  return apollo;
}

/** Composes the gateway: Apollo, the GraphQL handler, the other endpoints and the HTTP edge. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, dataSource, services, logger, mailbox, metrics = new Metrics(), shutdown = DEFAULT_SHUTDOWN_TIMINGS } = options;
  const schema = await buildGatewaySchema();
  const persistedQueries = new PersistedQueryStore(config.memory.persistedQueryBytes);
  const apollo = await createApolloServer({ config, dataSource, services, logger, metrics, schema, persistedQueries });
  // One cache for both transports: a token is accepted over WebSocket exactly when over HTTP.
  const tokens = createTokenCache(createTokenVerifier(config.auth));
  const schemaId = createHash('sha256').update(printSchema(schema)).digest('base64url');
  const etags = new EtagSigner(options.etagKey ?? randomBytes(32), schemaId);
  const graphql = createGraphQLHandler({ apollo, config, dataSource, services, metrics, verify: httpIdentity(tokens), persistedQueries, etags });
  const endpoints = createEndpoints({ dataSource, services, metrics, mailbox });
  const cors = createCors(config.cors);
  const ide = createGraphQLIde({ enabled: config.graphqlIde && config.graphql.introspection && !config.production, logger });
  const edge = createHttpEdge(
    async (request, response, url) => {
      if (cors(request, response)) return;
      // Before the GraphQL handler: the IDE's page and files are not GraphQL requests and need no token.
      if (ide(request, response, url)) return;
      if (url.pathname === '/graphql') return graphql(request, response, url);
      if (!(await endpoints(request, response, url))) sendJson(response, 404, { error: 'not found' });
    },
    logger,
    shutdown,
    options.httpServer,
  );
  const subscriptions = attachSubscriptions({ httpServer: edge.httpServer, schema, config, dataSource, services, logger, metrics, verify: tokens });
  return {
    httpServer: edge.httpServer,
    listen: edge.listen,
    async stop() {
      // WebSocket clients first: an open one would hold the HTTP drain until its deadline.
      await subscriptions.stop();
      await edge.stop();
      // Apollo has nothing left to drain; a stop that does not settle must not hold the exit.
      await Promise.race([apollo.stop(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    },
  };
}
