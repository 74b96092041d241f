#!/usr/bin/env node
// Local test OpenID provider for credctl integration tests.
//
//   node provider.mjs [--port N] [--ready-file PATH] [--access-ttl SECONDS]
//                     [--refresh-ttl SECONDS] [--token-delay-ms MS]
//                     [--tls-cert PEM --tls-key PEM] [--host NAME] [--verbose]
//
// --token-delay-ms holds every POST /token that long before it is handled (a
// slow provider); POST /_test/delay?ms=N changes it at run time. With
// --tls-cert/--tls-key the provider speaks https and the issuer is
// https://NAME:PORT (NAME defaults to localhost); without, the issuer is
// http://NAME:PORT (NAME defaults to 127.0.0.1, an address: no lookup).
//
// Listens on 127.0.0.1 only. Once listening it writes "<issuer>\n" atomically
// to --ready-file (tmp + rename) and prints "issuer=<issuer>" on stdout.
// Logs go to stderr, one line per token-endpoint request (grant type and
// status only). Token values, codes and secrets are never printed.
//
// Resource indicators (RFC 8707): the one resource server is
// https://api.example.test (scope api:read); asking for it gives a JWT access
// token (RS256, the provider's /jwks key) with that `aud`. Requests without
// `resource` get opaque, audience-less tokens as before.
//
// The parts, by concern (tests/oidc/README.md):
//   provider-options.mjs         the command line above
//   provider-config.mjs          clients, accounts, features, lifetimes
//   provider-store.mjs           in-memory storage of grants, tokens, sessions
//   provider-middleware.mjs      what runs in front of oidc-provider
//   provider-test-endpoints.mjs  the test-only endpoints /_test/...
//   provider-stats.mjs           counters (/_test/stats) and the log lines
//   provider-faults.mjs          injected delays and failures of POST /token

import { renameSync, writeFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import process from 'node:process';

import { configuration } from './provider-config.mjs';
import { setTokenDelay } from './provider-faults.mjs';
import { testMiddleware } from './provider-middleware.mjs';
import { parseOptions } from './provider-options.mjs';
import { log } from './provider-stats.mjs';

const options = parseOptions();
setTokenDelay(options.tokenDelayMs);
const VERBOSE = options.verbose;

// oidc-provider prints development-mode notices through console.info (stdout!)
// and console.warn. Keep stdout clean for "issuer=..." and stderr quiet.
if (!VERBOSE) {
  for (const method of ['info', 'warn']) {
    const orig = console[method].bind(console); // eslint-disable-line no-console
    console[method] = (...a) => { // eslint-disable-line no-console
      if (typeof a[0] === 'string' && a[0].includes('oidc-provider ')) return;
      orig(...a);
    };
  }
}

const { default: Provider, errors } = await import('oidc-provider');

// -------------------------------------------------------------- start ----

const server = options.tls ? https.createServer(options.tls) : http.createServer();
server.keepAliveTimeout = 2000;

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen({ port: options.port, host: '127.0.0.1', exclusive: true }, resolve);
}).catch((err) => {
  process.stderr.write(`provider: cannot listen on 127.0.0.1:${options.port}: ${err.message}\n`);
  process.exit(1);
});

const { port } = server.address();
const ISSUER = options.tls ? `https://${options.host ?? 'localhost'}:${port}` : `http://${options.host ?? '127.0.0.1'}:${port}`;

let provider;
try {
  provider = new Provider(ISSUER, configuration({
    accessTtl: options.accessTtl, refreshTtl: options.refreshTtl, errors,
  }));
} catch (err) {
  process.stderr.write(`provider: configuration error: ${err.message}\n`);
  process.exit(1);
}
provider.use(testMiddleware(VERBOSE));

if (VERBOSE) {
  provider.on('server_error', (ctx, err) => log(`server_error ${err.stack || err}`));
} else {
  provider.on('server_error', (ctx, err) => log(`server_error ${err.name}: ${err.message}`));
}

server.on('request', provider.callback());

if (options.readyFile) {
  const tmp = `${options.readyFile}.tmp.${process.pid}`;
  try {
    writeFileSync(tmp, `${ISSUER}\n`, { mode: 0o644 });
    renameSync(tmp, options.readyFile);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* ignore */ }
    process.stderr.write(`provider: cannot write ready file ${options.readyFile}: ${err.message}\n`);
    process.exit(1);
  }
}
process.stdout.write(`issuer=${ISSUER}\n`);
if (VERBOSE) {
  log(`listening issuer=${ISSUER} access_ttl=${options.accessTtl}s refresh_ttl=${options.refreshTtl}s`);
}

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  if (VERBOSE) log(`${signal} received, shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
