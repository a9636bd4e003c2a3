/**
 * The GraphQL IDE's own page, stylesheet and start-up script. The page has no inline script or
 * style so that it runs under a Content-Security-Policy allowing scripts from the gateway only.
 */

/** Relative to /graphql, so the page also works behind a proxy that adds a path prefix. */
export const ASSET_PREFIX = 'graphql/ide/';

export const IDE_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>GraphQL IDE · Mail configuration gateway</title>
    <link rel="stylesheet" href="${ASSET_PREFIX}graphiql.min.css" />
    <link rel="stylesheet" href="${ASSET_PREFIX}ide.css" />
  </head>
  <body>
    <div id="graphiql">Loading the GraphQL IDE…</div>
    <script src="${ASSET_PREFIX}react.production.min.js"></script>
    <script src="${ASSET_PREFIX}react-dom.production.min.js"></script>
    <script src="${ASSET_PREFIX}graphiql.min.js"></script>
    <script src="${ASSET_PREFIX}ide.js"></script>
  </body>
</html>
`;

export const IDE_STYLE = `html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; }
`;

/**
 * Every request carries the headers typed in the header editor; the token is not kept in the
 * browser's storage (GraphiQL's history would keep each query's headers: they are left out). The schema is read with the same headers, so after pasting a token the
 * schema is re-fetched with the button in the sidebar (or Shift-Ctrl-R). Without a token the
 * IDE says what to do instead of showing the gateway's 401.
 */
export const IDE_SCRIPT = `'use strict';
(function () {
  var NO_TOKEN = 'Paste a token after "Bearer " in the headers, then run the query or re-fetch the schema (the circular arrow on the left).';
  var send = GraphiQL.createFetcher({ url: window.location.origin + window.location.pathname });
  function fetcher(params, options) {
    var headers = (options && options.headers) || {};
    var names = Object.keys(headers).filter(function (name) { return name.toLowerCase() === 'authorization'; });
    if (names.length === 1 && /^\\s*bearer\\s*$/i.test(String(headers[names[0]]))) return Promise.resolve({ errors: [{ message: NO_TOKEN }] });
    return send(params, options);
  }
  function withoutHeaders(key, value) {
    if (key === 'graphiql:headers') return value;
    try {
      return JSON.stringify(JSON.parse(value), function (name, item) { return name === 'headers' ? undefined : item; });
    } catch (error) {
      return value;
    }
  }
  var storage = {
    getItem: function (key) { return localStorage.getItem(key); },
    setItem: function (key, value) { localStorage.setItem(key, withoutHeaders(key, value)); },
    removeItem: function (key) { localStorage.removeItem(key); },
    clear: function () {
      Object.keys(localStorage).filter(function (key) { return key.indexOf('graphiql:') === 0; }).forEach(function (key) { localStorage.removeItem(key); });
    },
    get length() { return Object.keys(localStorage).filter(function (key) { return key.indexOf('graphiql:') === 0; }).length; },
  };
  var element = React.createElement(GraphiQL, {
    fetcher: fetcher,
    storage: storage,
    defaultHeaders: JSON.stringify({ authorization: 'Bearer ' }, null, 2),
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'headers',
    defaultQuery: '# Paste a token in the headers below, then run:\\n\\nquery Libraries {\\n  libraries {\\n    id\\n    code\\n    name\\n  }\\n}\\n',
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(element);
})();
`;
