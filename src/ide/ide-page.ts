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
 * browser's storage. The schema is read with the same headers, so after pasting a token the
 * schema is re-fetched with the button in the sidebar (or Shift-Ctrl-R).
 */
export const IDE_SCRIPT = `'use strict';
(function () {
  var url = window.location.origin + window.location.pathname;
  var element = React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: url }),
    defaultHeaders: JSON.stringify({ authorization: 'Bearer ' }, null, 2),
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'headers',
    defaultQuery: '# Paste a token after "Bearer " in the headers below, then re-fetch the schema\\n# (the circular arrow on the left) to browse the documentation.\\n\\nquery Libraries {\\n  libraries {\\n    id\\n    code\\n    name\\n  }\\n}\\n',
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(element);
})();
`;
