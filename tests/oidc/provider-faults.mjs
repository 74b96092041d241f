// Delay and failure injection of the test OpenID provider: a slow or failing
// token endpoint, set at start (--token-delay-ms) and at run time through
// POST /_test/delay, /_test/hold, /_test/release and /_test/fail. Applies to
// POST /token only.

import { countInjectedFailure, log } from './provider-stats.mjs';

const delay = { ms: 0, after: false, grant: null };
let failNext = { count: 0, status: 503 };
// Answers of grant_type `grant` held until releaseHeldAnswers(); null: none.
const hold = { grant: null, waiting: [] };

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// Every later POST /token waits `ms` before it is handled or, with `after`,
// after it is handled and before it is answered, then only for grant_type
// `grant` unless that is null. ms 0 turns the delay off.
export function setTokenDelay(ms, after = false, grant = null) {
  delay.ms = ms;
  delay.after = after;
  delay.grant = grant;
}

// Every later POST /token of grant_type `grant` is handled, then its answer
// held until releaseHeldAnswers(): a test decides when it arrives, however
// slow the machine.
export function holdAnswers(grant) {
  hold.grant = grant;
}

// Sends every held answer and stops holding; returns how many were held.
export function releaseHeldAnswers() {
  const { waiting } = hold;
  hold.grant = null;
  hold.waiting = [];
  waiting.forEach((resume) => { resume(); });
  return waiting.length;
}

// The next `count` POST /token are answered with HTTP `status`, unhandled.
export function failNextTokens(count, status) {
  failNext = { count, status };
}

// Before oidc-provider sees a POST /token: waits out a before-delay (any grant).
export async function delayBeforeToken() {
  if (delay.ms > 0 && !delay.after) await sleep(delay.ms);
}

// Answers a POST /token with the injected failure status when one is due;
// returns whether it did (the request is then not handled).
export function injectTokenFailure(ctx) {
  if (failNext.count <= 0) return false;
  failNext.count -= 1;
  countInjectedFailure();
  log(`token status=${failNext.status} (injected failure)`);
  ctx.status = failNext.status;
  ctx.type = 'application/json';
  ctx.body = JSON.stringify({ error: 'temporarily_unavailable' });
  return true;
}

// After a POST /token of grant bucket `grant` is handled: waits for the
// release of a hold, then out an after-delay that applies to it, so the
// answer arrives late.
export async function delayAfterToken(grant) {
  if (hold.grant !== null && hold.grant === grant) {
    await new Promise((resolve) => { hold.waiting.push(resolve); });
  }
  if (delay.ms > 0 && delay.after && (delay.grant === null || delay.grant === grant)) {
    await sleep(delay.ms);
  }
}
