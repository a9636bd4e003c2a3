import { createReadStream, statSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Logger } from '../common/logger';
import { ASSET_PREFIX, IDE_PAGE, IDE_SCRIPT, IDE_STYLE } from './ide-page';

/** Answers the IDE's page or one of its files; false when the request is not for the IDE. */
export type GraphQLIde = (request: IncomingMessage, response: ServerResponse, url: URL) => boolean;

export interface GraphQLIdeOptions {
  enabled: boolean;
  logger: Logger;
  /** Where an npm package's package.json is; require.resolve unless a test says otherwise. */
  resolvePackage?: (name: string) => string;
}

type Asset = { type: string } & ({ file: string } | { text: string });

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The files taken from npm: GraphiQL's browser bundle and the React 18 it is built against. */
const NPM_ASSETS: Record<string, { pkg: string; path: string; type: string }> = {
  'graphiql.min.js': { pkg: 'graphiql', path: 'graphiql.min.js', type: JS },
  'graphiql.min.css': { pkg: 'graphiql', path: 'graphiql.min.css', type: CSS },
  'react.production.min.js': { pkg: 'react', path: 'umd/react.production.min.js', type: JS },
  'react-dom.production.min.js': { pkg: 'react-dom', path: 'umd/react-dom.production.min.js', type: JS },
};

/** Scripts, styles and requests only from the gateway itself; GraphiQL positions elements with inline styles. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  // The same URL answers GraphQL requests.
  vary: 'Accept',
};

const GRAPHQL_PARAMETERS = ['query', 'operationName', 'variables', 'extensions'];

const MISSING =
  'The GraphQL IDE is not installed: it needs the development dependencies graphiql, react and react-dom (npm install without --omit=dev). GRAPHQL_IDE=false turns it off.';

/** The npm files' paths, or null when one of the packages is not installed (a production install). */
function locateNpmAssets(resolvePackage: (name: string) => string): Record<string, Asset> | null {
  const assets: Record<string, Asset> = {};
  try {
    for (const [name, { pkg, path, type }] of Object.entries(NPM_ASSETS)) {
      const file = join(dirname(resolvePackage(`${pkg}/package.json`)), path);
      if (!statSync(file).isFile()) return null;
      assets[name] = { file, type };
    }
  } catch {
    return null;
  }
  return assets;
}

/** A browser opening /graphql, as opposed to a GraphQL request sent with GET. */
export function isIdePageRequest(request: IncomingMessage, url: URL): boolean {
  if (request.method !== 'GET' || url.pathname !== '/graphql') return false;
  if (!/\btext\/html\b/i.test(request.headers.accept ?? '')) return false;
  return !GRAPHQL_PARAMETERS.some((name) => url.searchParams.has(name));
}

function sendText(response: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

const NOT_FOUND_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };

function sendAsset(response: ServerResponse, asset: Asset): void {
  // Revalidated on every load: an npm update must not leave a browser on the old bundle.
  const headers = { 'content-type': asset.type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };
  if ('text' in asset) {
    sendText(response, 200, headers, asset.text);
    return;
  }
  response.writeHead(200, { ...headers, 'content-length': statSync(asset.file).size });
  createReadStream(asset.file)
    .on('error', () => response.destroy())
    .pipe(response);
}

/**
 * In development, GET /graphql from a browser is the GraphiQL IDE, served with its files by the
 * gateway itself (no CDN: the gateway often runs in a closed network). The page and its files
 * need no token; every GraphQL request the IDE sends does. Without the npm packages the IDE
 * answers 404 with the reason instead of failing the start-up.
 */
export function createGraphQLIde({ enabled, logger, resolvePackage = require.resolve }: GraphQLIdeOptions): GraphQLIde {
  if (!enabled) return () => false;
  const npmAssets = locateNpmAssets(resolvePackage);
  if (!npmAssets) logger.log('warn', 'GraphQL IDE unavailable: graphiql, react or react-dom is not installed');
  const assets: Record<string, Asset> | null = npmAssets && {
    ...npmAssets,
    'ide.js': { text: IDE_SCRIPT, type: JS },
    'ide.css': { text: IDE_STYLE, type: CSS },
  };
  const assetPath = `/${ASSET_PREFIX}`;
  return (request, response, url) => {
    const page = isIdePageRequest(request, url);
    if (!page && !(request.method === 'GET' && url.pathname.startsWith(assetPath))) return false;
    if (!assets) {
      sendText(response, 404, NOT_FOUND_HEADERS, MISSING);
      return true;
    }
    if (page) {
      sendText(response, 200, PAGE_HEADERS, IDE_PAGE);
      return true;
    }
    const name = url.pathname.slice(assetPath.length);
    const asset = Object.prototype.hasOwnProperty.call(assets, name) ? assets[name] : undefined;
    if (asset) sendAsset(response, asset);
    else sendText(response, 404, NOT_FOUND_HEADERS, 'No such file in the GraphQL IDE');
    return true;
  };
}
