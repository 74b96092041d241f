// Counters of the test OpenID provider, read by tests through GET /_test/stats
// and GET /_test/issued, and the one log line per token request. Counting
// happens after oidc-provider has handled a request (account()); the
// counters only ever hold grant-type buckets, statuses and timings, and
// `issued` the token values themselves, for tests that search a client's
// files and logs for them. Nothing here prints a token, code or secret.

import process from 'node:process';

// oidc-provider's default paths (configuration() leaves `routes` alone).
export const ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  device_authorization: '/device/auth',
};

export function log(line) {
  process.stderr.write(`[oidc] ${line}\n`);
}

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

// Every access and refresh token value this provider answered with.
export const issued = { access_tokens: [], refresh_tokens: [] };

export function currentStats() {
  return stats;
}

// Zeroes the counters (not `issued`) and returns the zeroed stats.
export function resetStats() {
  stats = freshStats();
  return stats;
}

export function countInjectedFailure() {
  stats.token_failures_injected += 1;
}

// grant_type values are short ASCII identifiers; anything odd is bucketed so
// that no attacker/garbage-controlled string ends up in logs or stats keys.
export function grantBucket(value) {
  if (typeof value !== 'string' || value === '') return 'missing';
  if (/^[A-Za-z0-9_:.\-]{1,80}$/.test(value)) return value;
  return 'invalid';
}

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

// ` error=E (description)` of a failed token answer: `error` is a registered
// RFC 6749 code and error_description a fixed library string; neither
// carries token material.
function errorSuffix(ctx) {
  const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
  let extra = '';
  if (typeof body.error === 'string') extra += ` error=${body.error}`;
  if (typeof body.error_description === 'string') {
    extra += ` (${body.error_description.replace(/[^\x20-\x7e]/g, '?').slice(0, 120)})`;
  }
  return extra;
}

// Counts and logs one handled POST /token; `started` is process.hrtime.bigint()
// taken once any injected delay was over. Returns the grant_type bucket.
function accountToken(ctx, started) {
  const grant = grantBucket(ctx.oidc?.params?.grant_type ?? ctx.oidc?.body?.grant_type);
  stats.token_requests[grant] = (stats.token_requests[grant] || 0) + 1;
  let extra = '';
  if (ctx.status >= 400) {
    stats.token_errors[grant] = (stats.token_errors[grant] || 0) + 1;
    extra = errorSuffix(ctx);
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
  return grant;
}

// Counts (and, when verbose, logs) a request oidc-provider has handled;
// `path` and `method` are the request's as it came in, `started` as for
// accountToken(). Returns the grant_type bucket for a POST /token.
export function account(ctx, {
  path, method, started, verbose,
}) {
  countResource(ctx);
  if (method === 'POST' && path === ROUTES.token) return accountToken(ctx, started);
  if ((method === 'GET' || method === 'POST') && path === ROUTES.userinfo) {
    stats.userinfo_requests += 1;
    if (verbose) log(`userinfo status=${ctx.status}`);
  } else if (method === 'POST' && path === ROUTES.revocation) {
    stats.revocation_requests += 1;
    if (verbose) log(`revocation status=${ctx.status}`);
  } else if (method === 'POST' && path === ROUTES.introspection) {
    stats.introspection_requests += 1;
    if (verbose) log(`introspection status=${ctx.status}`);
  } else if (verbose) {
    log(`${method} ${path} status=${ctx.status}`);
  }
  return undefined;
}
