// The Koa middleware the test OpenID provider puts in front of oidc-provider:
// test endpoints first, then the injected delay or failure of POST /token,
// the prompt=consent default for offline_access, and once oidc-provider has
// answered, the counters and the per-request log line.

import process from 'node:process';

import {
  delayAfterToken, delayBeforeToken, injectTokenFailure,
} from './provider-faults.mjs';
import { account, ROUTES } from './provider-stats.mjs';
import { handleTestEndpoint } from './provider-test-endpoints.mjs';

// oidc-provider 8 silently drops the offline_access scope unless the
// authorization request carries prompt=consent (OIDC Core 11). A native
// client is always shown the consent screen here anyway, so for requests
// without any prompt parameter we add prompt=consent on the client's behalf;
// then "scope=openid offline_access" works with no extra parameter.
function defaultPromptConsent(ctx) {
  const { query } = ctx;
  if (typeof query.scope === 'string' && query.scope.split(' ').includes('offline_access')
      && query.prompt === undefined) {
    ctx.query = { ...query, prompt: 'consent' };
  }
}

// The middleware; `verbose` logs every request, not only token requests.
export function testMiddleware(verbose) {
  return async (ctx, next) => {
    if (await handleTestEndpoint(ctx)) return undefined;

    const { path, method } = ctx;
    const isToken = method === 'POST' && path === ROUTES.token;
    if (isToken) {
      await delayBeforeToken();
      if (injectTokenFailure(ctx)) return undefined;
    }
    const started = process.hrtime.bigint();
    if (path === ROUTES.authorization && method === 'GET') defaultPromptConsent(ctx);

    await next();

    const grant = account(ctx, {
      path, method, started, verbose,
    });
    if (isToken) await delayAfterToken(grant);
    return undefined;
  };
}
