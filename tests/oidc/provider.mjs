#!/usr/bin/env node
// Local test OpenID provider for credctl integration tests.
//
//   node provider.mjs [--port N] [--ready-file PATH] [--access-ttl SECONDS]
//                     [--refresh-ttl SECONDS] [--token-delay-ms MS]
//                     [--tls-cert PEM --tls-key PEM [--host NAME]] [--verbose]
//
// --token-delay-ms holds every POST /token that long before it is handled (a
// slow provider); POST /_test/delay?ms=N changes it at run time. With
// --tls-cert/--tls-key the provider speaks https and the issuer is
// https://NAME:PORT (NAME defaults to localhost).
//
// Listens on 127.0.0.1 only. Once listening it writes "<issuer>\n" atomically
// to --ready-file (tmp + rename) and prints "issuer=<issuer>" on stdout.
// Logs go to stderr, one line per token-endpoint request (grant type and
// status only). Token values, codes and secrets are never printed.
//
// Test-only endpoints (not part of any spec):
//   GET  /_test/stats  -> {"token_requests":{"authorization_code":N,"refresh_token":M,...},
//                          "token_errors":{...},"userinfo_requests":K,
//                          "revocation_requests":R,"introspection_requests":I,
//                          "resource_requests":{"authorization":A,"refresh_token":F,...}}
//
// Resource indicators (RFC 8707): the one resource server is
// https://api.example.test (scope api:read); asking for it gives a JWT access
// token (RS256, the provider's /jwks key) with that `aud`. Requests without
// `resource` get opaque, audience-less tokens as before.
//   GET  /_test/issued -> {"access_tokens":[...],"refresh_tokens":[...]} every token issued
//   POST /_test/reset  -> zeroes the counters, answers with the zeroed stats
//   POST /_test/delay?ms=N[&after=1[&grant=G]] -> delays every later POST /token
//                        by N ms, before handling it, or (after=1) after
//                        handling it and before answering (a token rotated,
//                        the answer late), then only for grant_type G if given
//   POST /_test/revoke-all -> revokes every grant (refresh tokens stop working)
//   POST /_test/fail?count=N&status=S -> the next N POST /token are answered
//                        with HTTP S (5xx) without being processed

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import process from 'node:process';
import { parseArgs } from 'node:util';

// ---------------------------------------------------------------- CLI ----

function usage(msg) {
  if (msg) process.stderr.write(`provider: ${msg}\n`);
  process.stderr.write('usage: node provider.mjs [--port N] [--ready-file PATH] '
    + '[--access-ttl SECONDS] [--refresh-ttl SECONDS] [--verbose]\n');
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'ready-file': { type: 'string' },
      'access-ttl': { type: 'string', default: '8' },
      'refresh-ttl': { type: 'string', default: '86400' },
      'token-delay-ms': { type: 'string', default: '0' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      host: { type: 'string', default: 'localhost' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }));
} catch (err) {
  usage(err.message);
}
if (args.help) usage();

function intArg(name, min, max) {
  const raw = args[name];
  if (!/^\d+$/.test(raw)) usage(`--${name} must be a non-negative integer`);
  const n = Number(raw);
  if (n < min || n > max) usage(`--${name} must be between ${min} and ${max}`);
  return n;
}

const PORT = intArg('port', 0, 65535);
const ACCESS_TTL = intArg('access-ttl', 1, 365 * 24 * 3600);
const REFRESH_TTL = intArg('refresh-ttl', 1, 365 * 24 * 3600);
const READY_FILE = args['ready-file'];
let tokenDelayMs = intArg('token-delay-ms', 0, 600_000);
let tokenDelayAfter = false;
let tokenDelayGrant = null;
const TLS = args['tls-cert'] && args['tls-key']
  ? { cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) } : null;
if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined)) usage('--tls-cert and --tls-key go together');
if (!/^[A-Za-z0-9.-]{1,253}$/.test(args.host)) usage('--host must be a host name');
const VERBOSE = args.verbose || process.env.OIDC_PROVIDER_VERBOSE === '1';

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

// The one resource server (RFC 8707) this provider knows, and its scope.
const TEST_RESOURCE = 'https://api.example.test';
const TEST_RESOURCE_SCOPE = 'api:read';

function log(line) {
  process.stderr.write(`[oidc] ${line}\n`);
}

// ----------------------------------------------------------- counters ----

function freshStats() {
  return {
    // null prototype: grant_type values become keys, "__proto__" included
    token_requests: { __proto__: null, authorization_code: 0, refresh_token: 0 },
    token_errors: { __proto__: null, authorization_code: 0, refresh_token: 0 },
    // Time spent handling refresh grants inside the provider, injected delay
    // excluded (for the refresh overhead benchmark).
    refresh_ms_total: 0,
    refresh_ms_last: 0,
    token_failures_injected: 0,
    userinfo_requests: 0,
    revocation_requests: 0,
    introspection_requests: 0,
    // Requests that carried an RFC 8707 `resource` parameter, keyed by
    // endpoint (authorization, device_authorization) or token grant_type.
    resource_requests: { __proto__: null },
  };
}
let stats = freshStats();
let failNext = { count: 0, status: 503 };

const ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  device_authorization: '/device/auth',
};

// grant_type values are short ASCII identifiers; anything odd is bucketed so
// that no attacker/garbage-controlled string ends up in logs or stats keys.
function grantBucket(value) {
  if (typeof value !== 'string' || value === '') return 'missing';
  if (/^[A-Za-z0-9_:.\-]{1,80}$/.test(value)) return value;
  return 'invalid';
}

const issued = { access_tokens: [], refresh_tokens: [] };

function countResource(ctx) {
  const { path, method } = ctx;
  let where;
  let sent;
  if (method === 'GET' && path === ROUTES.authorization) {
    where = 'authorization';
    sent = ctx.query.resource;
  } else if (method === 'POST' && path === ROUTES.device_authorization) {
    where = 'device_authorization';
    sent = ctx.oidc?.body?.resource;
  } else if (method === 'POST' && path === ROUTES.token) {
    where = grantBucket(ctx.oidc?.params?.grant_type ?? ctx.oidc?.body?.grant_type);
    sent = ctx.oidc?.body?.resource;
  }
  if (where !== undefined && sent !== undefined && sent !== '') {
    stats.resource_requests[where] = (stats.resource_requests[where] || 0) + 1;
  }
}

async function testMiddleware(ctx, next) {
  if (ctx.path === '/_test/stats' && ctx.method === 'GET') {
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.set('cache-control', 'no-store');
    ctx.body = JSON.stringify(stats);
    return undefined;
  }
  // Every token value this provider issued, so that tests can search a
  // client's files and logs for them. Loopback-only test provider.
  if (ctx.path === '/_test/issued' && ctx.method === 'GET') {
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.set('cache-control', 'no-store');
    ctx.body = JSON.stringify(issued);
    return undefined;
  }
  if (ctx.path === '/_test/reset' && ctx.method === 'POST') {
    stats = freshStats();
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.set('cache-control', 'no-store');
    ctx.body = JSON.stringify(stats);
    return undefined;
  }

  if (ctx.path === '/_test/delay' && ctx.method === 'POST') {
    const ms = Number(ctx.query.ms);
    if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) {
      ctx.status = 400;
      ctx.body = 'ms must be 0..600000\n';
      return undefined;
    }
    tokenDelayMs = ms;
    tokenDelayAfter = ctx.query.after === '1';
    tokenDelayGrant = typeof ctx.query.grant === 'string' ? ctx.query.grant : null;
    ctx.status = 204;
    return undefined;
  }
  if (ctx.path === '/_test/fail' && ctx.method === 'POST') {
    const count = Number(ctx.query.count);
    const status = Number(ctx.query.status ?? 503);
    if (!Number.isInteger(count) || count < 0 || !Number.isInteger(status) || status < 500 || status > 599) {
      ctx.status = 400;
      ctx.body = 'count must be >= 0 and status 500..599\n';
      return undefined;
    }
    failNext = { count, status };
    ctx.status = 204;
    return undefined;
  }
  if (ctx.path === '/_test/revoke-all' && ctx.method === 'POST') {
    for (const key of [...store.keys()]) {
      if (key.startsWith('grant:')) await MemoryAdapter.revokeGrant(key.slice('grant:'.length));
    }
    ctx.status = 204;
    return undefined;
  }

  const { path, method } = ctx;
  if (method === 'POST' && path === ROUTES.token && tokenDelayMs > 0 && !tokenDelayAfter) {
    await new Promise((resolve) => { setTimeout(resolve, tokenDelayMs); });
  }
  if (method === 'POST' && path === ROUTES.token && failNext.count > 0) {
    failNext.count -= 1;
    stats.token_failures_injected += 1;
    log(`token status=${failNext.status} (injected failure)`);
    ctx.status = failNext.status;
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({ error: 'temporarily_unavailable' });
    return undefined;
  }
  const started = process.hrtime.bigint();

  // oidc-provider 8 silently drops the offline_access scope unless the
  // authorization request carries prompt=consent (OIDC Core 11). A native
  // client is always shown the consent screen here anyway, so for requests
  // without any prompt parameter we add prompt=consent on the client's behalf;
  // then "scope=openid offline_access" works with no extra parameter.
  if (path === ROUTES.authorization && method === 'GET') {
    const { query } = ctx;
    if (typeof query.scope === 'string' && query.scope.split(' ').includes('offline_access')
        && query.prompt === undefined) {
      ctx.query = { ...query, prompt: 'consent' };
    }
  }

  await next();

  countResource(ctx);
  if (method === 'POST' && path === ROUTES.token) {
    const grant = grantBucket(ctx.oidc?.params?.grant_type ?? ctx.oidc?.body?.grant_type);
    stats.token_requests[grant] = (stats.token_requests[grant] || 0) + 1;
    let extra = '';
    if (ctx.status >= 400) {
      stats.token_errors[grant] = (stats.token_errors[grant] || 0) + 1;
      // `error` is a registered RFC 6749 code and error_description is a fixed
      // library string; neither carries token material.
      const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
      if (typeof body.error === 'string') extra += ` error=${body.error}`;
      if (typeof body.error_description === 'string') {
        extra += ` (${body.error_description.replace(/[^\x20-\x7e]/g, '?').slice(0, 120)})`;
      }
    }
    if (grant === 'refresh_token') {
      stats.refresh_ms_last = Number(process.hrtime.bigint() - started) / 1e6;
      stats.refresh_ms_total += stats.refresh_ms_last;
    }
    if (ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      for (const kind of ['access_token', 'refresh_token']) {
        if (typeof ctx.body[kind] === 'string') issued[`${kind}s`].push(ctx.body[kind]);
      }
    }
    log(`token grant_type=${grant} status=${ctx.status}${extra}`);
    if (tokenDelayMs > 0 && tokenDelayAfter && (tokenDelayGrant === null || tokenDelayGrant === grant)) await new Promise((resolve) => { setTimeout(resolve, tokenDelayMs); });
  } else if ((method === 'GET' || method === 'POST') && path === ROUTES.userinfo) {
    stats.userinfo_requests += 1;
    if (VERBOSE) log(`userinfo status=${ctx.status}`);
  } else if (method === 'POST' && path === ROUTES.revocation) {
    stats.revocation_requests += 1;
    if (VERBOSE) log(`revocation status=${ctx.status}`);
  } else if (method === 'POST' && path === ROUTES.introspection) {
    stats.introspection_requests += 1;
    if (VERBOSE) log(`introspection status=${ctx.status}`);
  } else if (VERBOSE) {
    log(`${method} ${path} status=${ctx.status}`);
  }
  return undefined;
}

// ------------------------------------------------------------ storage ----

// Unbounded in-memory adapter. The bundled dev adapter is an LRU capped at
// 1000 entries (a long test run could silently lose a live refresh token) and
// never expires entries itself; here entries vanish once their TTL is over.
const store = new Map(); // key -> { value, expiresAt (ms epoch) | null }

function storeGet(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.value;
}

function storeSet(key, value, expiresIn) {
  store.set(key, { value, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : null });
}

// Sweep expired entries now and then so a long-running provider stays small.
setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) {
    if (entry.expiresAt !== null && entry.expiresAt <= now) store.delete(key);
  }
}, 30_000).unref();

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    if (this.model === 'Session') storeSet(`sessionUid:${payload.uid}`, id, expiresIn);
    const { grantId, userCode } = payload;
    if (GRANTABLE.has(this.model) && grantId) {
      const grantKey = `grant:${grantId}`;
      const list = storeGet(grantKey);
      if (list) list.push(key);
      else storeSet(grantKey, [key], null);
    }
    if (userCode) storeSet(`userCode:${userCode}`, id, expiresIn);
    storeSet(key, payload, expiresIn);
  }

  async find(id) {
    return storeGet(this.key(id));
  }

  async findByUid(uid) {
    const id = storeGet(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = storeGet(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = storeGet(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) { // eslint-disable-line class-methods-use-this
    await MemoryAdapter.revokeGrant(grantId);
  }

  static async revokeGrant(grantId) {
    const grantKey = `grant:${grantId}`;
    const list = storeGet(grantKey);
    if (list) for (const key of list) store.delete(key);
    store.delete(grantKey);
  }
}

// ------------------------------------------------------ configuration ----

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }), kid: 'credctl-test-rs256', use: 'sig', alg: 'RS256',
  };
}

const CLIENT_COMMON = {
  application_type: 'native',
  // Registered without a port; oidc-provider ignores the port when matching
  // http loopback redirect URIs of native clients (RFC 8252 section 7.3).
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types: ['code'],
  scope: 'openid profile email offline_access',
};

function configuration() {
  return {
    clients: [
      { ...CLIENT_COMMON, client_id: 'credctl-demo', token_endpoint_auth_method: 'none' },
      {
        ...CLIENT_COMMON,
        client_id: 'credctl-secret',
        client_secret: 'test-secret-123',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        ...CLIENT_COMMON,
        client_id: 'credctl-post',
        client_secret: 'test-secret-456',
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    adapter: MemoryAdapter,
    jwks: { keys: [signingKey()] },
    // Default is 15 s and it also applies to opaque token expiry: an access
    // token with a 8 s TTL would stay valid at userinfo for ~23 s.
    clockTolerance: 0,
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      // Default long-lived cookie is SameSite=None, which real browsers drop
      // on plain http. Lax works for the top-level navigations used here.
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    async findAccount(ctx, id) {
      if (typeof id !== 'string' || id === '') return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            name: id,
            preferred_username: id,
            email: `${id}@example.test`,
            email_verified: true,
          };
        },
      };
    },
    features: {
      devInteractions: { enabled: true },
      // RFC 8628; the verification page is /device.
      deviceFlow: { enabled: true },
      introspection: {
        enabled: true,
        // Public clients may introspect their own tokens only; confidential
        // clients may introspect anything (test harness, not production).
        async allowedPolicy(ctx, client, token) {
          if (client.clientAuthMethod === 'none' && token.clientId !== ctx.oidc.client.clientId) {
            return false;
          }
          return true;
        },
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      // RFC 8707. A request without `resource` is handled exactly as with
      // the feature off: an opaque, audience-less access token usable at
      // userinfo. With resource=TEST_RESOURCE the access token is a JWT
      // whose `aud` is that resource; any other resource is invalid_target.
      resourceIndicators: {
        enabled: true,
        async defaultResource(ctx, client, oneOf) {
          return oneOf; // no default: undefined unless the client asked for some
        },
        // The library default, spelled out: a token request must name the
        // resource again. A refresh (or code exchange) of an openid grant
        // without `resource` gets a userinfo token, so a client that forgets
        // the parameter there shows up as a token without the audience.
        async useGrantedResource() {
          return false;
        },
        async getResourceServerInfo(ctx, resourceIndicator) {
          if (resourceIndicator !== TEST_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: TEST_RESOURCE_SCOPE,
            audience: TEST_RESOURCE,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    pkce: {
      methods: ['S256'],
      required: () => true,
    },
    // Always hand out a refresh token for the code grant when the client is
    // registered for the refresh_token grant, offline_access or not.
    async issueRefreshToken(ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    // Tokens outlive the (in-memory) browser session: the scripted browser
    // throws its cookie jar away right after the flow.
    async expiresWithSession() {
      return false;
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ACCESS_TTL,
      AuthorizationCode: 60,
      DeviceCode: 120,
      IdToken: 3600,
      RefreshToken: REFRESH_TTL,
      Interaction: 600,
      Session: 3600,
      Grant: Math.max(REFRESH_TTL, 14 * 24 * 3600),
    },
    async renderError(ctx, out) {
      // Plain text, no request echo beyond the registered error fields.
      ctx.type = 'text/plain';
      ctx.body = `error=${out.error}\nerror_description=${out.error_description || ''}\n`;
    },
  };
}

// -------------------------------------------------------------- start ----

const server = TLS ? https.createServer(TLS) : http.createServer();
server.keepAliveTimeout = 2000;

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen({ port: PORT, host: '127.0.0.1', exclusive: true }, resolve);
}).catch((err) => {
  process.stderr.write(`provider: cannot listen on 127.0.0.1:${PORT}: ${err.message}\n`);
  process.exit(1);
});

const { port } = server.address();
const ISSUER = TLS ? `https://${args.host}:${port}` : `http://127.0.0.1:${port}`;

let provider;
try {
  provider = new Provider(ISSUER, configuration());
} catch (err) {
  process.stderr.write(`provider: configuration error: ${err.message}\n`);
  process.exit(1);
}
provider.use(testMiddleware);

if (VERBOSE) {
  provider.on('server_error', (ctx, err) => log(`server_error ${err.stack || err}`));
} else {
  provider.on('server_error', (ctx, err) => log(`server_error ${err.name}: ${err.message}`));
}

server.on('request', provider.callback());

if (READY_FILE) {
  const tmp = `${READY_FILE}.tmp.${process.pid}`;
  try {
    writeFileSync(tmp, `${ISSUER}\n`, { mode: 0o644 });
    renameSync(tmp, READY_FILE);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* ignore */ }
    process.stderr.write(`provider: cannot write ready file ${READY_FILE}: ${err.message}\n`);
    process.exit(1);
  }
}
process.stdout.write(`issuer=${ISSUER}\n`);
if (VERBOSE) log(`listening issuer=${ISSUER} access_ttl=${ACCESS_TTL}s refresh_ttl=${REFRESH_TTL}s`);

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
