// Test-only endpoints of the test OpenID provider (not part of any spec),
// answered before oidc-provider sees the request:
//
//   GET  /_test/stats  -> {"token_requests":{"authorization_code":N,"refresh_token":M,...},
//                          "token_errors":{...},"userinfo_requests":K,
//                          "revocation_requests":R,"introspection_requests":I,
//                          "resource_requests":{"authorization":A,"refresh_token":F,...}}
//   GET  /_test/issued -> {"access_tokens":[...],"refresh_tokens":[...]} every token issued
//   POST /_test/reset  -> zeroes the counters, answers with the zeroed stats
//   POST /_test/delay?ms=N[&after=1[&grant=G]] -> delays every later POST /token
//                        by N ms, before handling it, or (after=1) after
//                        handling it and before answering (a token rotated,
//                        the answer late), then only for grant_type G if given
//   POST /_test/hold?grant=G -> every later POST /token of grant_type G is
//                        handled (a token rotated) and its answer held
//   POST /_test/release -> sends the held answers, stops holding:
//                        {"released":N}
//   POST /_test/revoke-all -> revokes every grant (refresh tokens stop working)
//   POST /_test/fail?count=N&status=S -> the next N POST /token are answered
//                        with HTTP S (5xx) without being processed
//
// Loopback-only test provider: /_test/issued hands out live tokens on purpose.

import {
  failNextTokens, holdAnswers, releaseHeldAnswers, setTokenDelay,
} from './provider-faults.mjs';
import { revokeAllGrants } from './provider-store.mjs';
import { currentStats, issued, resetStats } from './provider-stats.mjs';

function answerJson(ctx, value) {
  ctx.status = 200;
  ctx.type = 'application/json';
  ctx.set('cache-control', 'no-store');
  ctx.body = JSON.stringify(value);
}

function delay(ctx) {
  const ms = Number(ctx.query.ms);
  if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) {
    ctx.status = 400;
    ctx.body = 'ms must be 0..600000\n';
    return;
  }
  setTokenDelay(ms, ctx.query.after === '1', typeof ctx.query.grant === 'string' ? ctx.query.grant : null);
  ctx.status = 204;
}

function fail(ctx) {
  const count = Number(ctx.query.count);
  const status = Number(ctx.query.status ?? 503);
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(status) || status < 500 || status > 599) {
    ctx.status = 400;
    ctx.body = 'count must be >= 0 and status 500..599\n';
    return;
  }
  failNextTokens(count, status);
  ctx.status = 204;
}

function hold(ctx) {
  if (typeof ctx.query.grant !== 'string' || ctx.query.grant === '') {
    ctx.status = 400;
    ctx.body = 'grant is required\n';
    return;
  }
  holdAnswers(ctx.query.grant);
  ctx.status = 204;
}

async function revokeAll(ctx) {
  await revokeAllGrants();
  ctx.status = 204;
}

const ENDPOINTS = {
  'GET /_test/stats': (ctx) => answerJson(ctx, currentStats()),
  'GET /_test/issued': (ctx) => answerJson(ctx, issued),
  'POST /_test/reset': (ctx) => answerJson(ctx, resetStats()),
  'POST /_test/delay': delay,
  'POST /_test/fail': fail,
  'POST /_test/hold': hold,
  'POST /_test/release': (ctx) => answerJson(ctx, { released: releaseHeldAnswers() }),
  'POST /_test/revoke-all': revokeAll,
};

// Answers the request if it is one of the test endpoints; returns whether it did.
export async function handleTestEndpoint(ctx) {
  const endpoint = Object.hasOwn(ENDPOINTS, `${ctx.method} ${ctx.path}`)
    ? ENDPOINTS[`${ctx.method} ${ctx.path}`] : undefined;
  if (endpoint === undefined) return false;
  await endpoint(ctx);
  return true;
}
