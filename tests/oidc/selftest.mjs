#!/usr/bin/env node
// Self-test of the test OpenID provider (provider.mjs) and the scripted
// browser (browser / browser.mjs). Acts as the OAuth client itself: PKCE,
// loopback redirect listener, code exchange, userinfo, refresh rotation,
// revocation, introspection, consent denial, confidential client.
//
//   node tests/oidc/selftest.mjs        (needs `npm ci` in tests/oidc first)
//
// Ends with a "N passed, N failed" line; exit status 0 only if all passed.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';

import {
  ACCESS_TTL, authUrl, b64url, CLIENT_ID, decodeJwtPayload, pkce, postForm, runBrowser, sleep,
  startLoopback, startProvider, stats, waitReady,
} from './selftest-lib.mjs';

let passed = 0;
let failed = 0;
function check(name, cond, detail = '') {
  if (cond) {
    passed += 1;
    process.stdout.write(`ok   ${name}\n`);
  } else {
    failed += 1;
    process.stdout.write(`FAIL ${name}${detail ? ` -- ${detail}` : ''}\n`);
  }
}

// ----------------------------------------------------------------- main --

const tmp = mkdtempSync(path.join(tmpdir(), 'oidc-selftest-'));
const prov = startProvider(tmp);
const loop = await startLoopback();
const redirectUri = `http://127.0.0.1:${loop.port}/callback`;
const secrets = []; // every code/token seen, to prove none leaks into logs

try {
  const readyText = await waitReady(prov.readyFile);
  const issuer = readyText.trim();
  check('ready file holds issuer + newline', /^http:\/\/127\.0\.0\.1:\d+\n$/.test(readyText), JSON.stringify(readyText));
  await sleep(50);
  check('stdout announces issuer', prov.out.stdout.includes(`issuer=${issuer}\n`), JSON.stringify(prov.out.stdout));

  const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  check('discovery issuer', meta.issuer === issuer, meta.issuer);
  check('discovery S256 only', JSON.stringify(meta.code_challenge_methods_supported) === '["S256"]');
  check('discovery iss parameter supported', meta.authorization_response_iss_parameter_supported === true);
  check('discovery revocation+introspection', !!meta.revocation_endpoint && !!meta.introspection_endpoint);
  check('discovery scopes', ['openid', 'profile', 'email', 'offline_access'].every((s) => meta.scopes_supported.includes(s)));

  // ---- main flow: public native client, ephemeral loopback port --------
  const p = pkce();
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const url = authUrl(meta, redirectUri, { challenge: p.challenge, state, nonce });
  const br = await runBrowser(url);
  check('browser exits 0', br.code === 0, `code=${br.code} stderr=${br.stderr.trim()}`);
  check('browser prints nothing on stdout', br.stdout === '');
  const cb = loop.hits.shift() || {};
  check('callback has code', typeof cb.code === 'string' && cb.code.length > 10);
  check('callback state round-trips', cb.state === state);
  check('callback iss (RFC 9207)', cb.iss === issuer, cb.iss);
  secrets.push(cb.code);
  check('browser never prints the code', !br.stderr.includes(cb.code));

  const tok = await postForm(meta.token_endpoint, {
    grant_type: 'authorization_code', code: cb.code, redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: p.verifier,
  });
  check('code exchange 200', tok.status === 200, `${tok.status} ${tok.text}`);
  const t1 = tok.json || {};
  secrets.push(t1.access_token, t1.refresh_token, t1.id_token);
  check('access_token present', typeof t1.access_token === 'string');
  check('refresh_token present', typeof t1.refresh_token === 'string');
  check('id_token present', typeof t1.id_token === 'string');
  check('token_type Bearer', t1.token_type === 'Bearer', t1.token_type);
  check(`expires_in == ${ACCESS_TTL}`, t1.expires_in === ACCESS_TTL, String(t1.expires_in));
  check('scope echoed', t1.scope === 'openid offline_access', t1.scope);
  const idt = t1.id_token ? decodeJwtPayload(t1.id_token) : {};
  check('id_token nonce', idt.nonce === nonce);
  check('id_token iss/aud/sub', idt.iss === issuer && idt.aud === CLIENT_ID && idt.sub === 'demo-user', JSON.stringify({ iss: idt.iss, aud: idt.aud, sub: idt.sub }));

  const ui = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${t1.access_token}` } });
  const uiBody = await ui.json().catch(() => ({}));
  check('userinfo accepts access token', ui.status === 200 && uiBody.sub === 'demo-user', `${ui.status} ${JSON.stringify(uiBody)}`);

  const intro = await postForm(meta.introspection_endpoint, { token: t1.access_token, client_id: CLIENT_ID });
  check('introspection (own token) active', intro.status === 200 && intro.json?.active === true && intro.json?.token_type === 'Bearer', intro.text);

  const r1 = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: t1.refresh_token, client_id: CLIENT_ID });
  check('refresh 200', r1.status === 200, r1.text);
  const t2 = r1.json || {};
  secrets.push(t2.access_token, t2.refresh_token, t2.id_token);
  check('refresh rotates refresh_token', typeof t2.refresh_token === 'string' && t2.refresh_token !== t1.refresh_token);
  check('refresh gives new access_token', typeof t2.access_token === 'string' && t2.access_token !== t1.access_token);
  check('refresh gives id_token', typeof t2.id_token === 'string');
  const ui2 = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${t2.access_token}` } });
  check('userinfo accepts refreshed access token', ui2.status === 200);

  // Access-token expiry (TTL = ACCESS_TTL seconds).
  await sleep((ACCESS_TTL + 1) * 1000);
  const ui3 = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${t2.access_token}` } });
  check('expired access token rejected by userinfo (401)', ui3.status === 401, String(ui3.status));

  const r2 = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: t1.refresh_token, client_id: CLIENT_ID });
  check('old refresh token -> invalid_grant', r2.status === 400 && r2.json?.error === 'invalid_grant', r2.text);
  // oidc-provider reuse detection: replaying a rotated refresh token revokes the whole grant.
  const r3 = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: t2.refresh_token, client_id: CLIENT_ID });
  check('reuse detection revoked the newest refresh token too', r3.status === 400 && r3.json?.error === 'invalid_grant', r3.text);

  let s = await stats(issuer);
  const expect1 = {
    token_requests: { authorization_code: 1, refresh_token: 3 },
    token_errors: { authorization_code: 0, refresh_token: 2 },
    userinfo_requests: 3,
    revocation_requests: 0,
    introspection_requests: 1,
  };
  // The counters this flow drives; timing and injected-failure fields are
  // checked by the credctl tests that use them.
  const counted = (o) => ({
    token_requests: o.token_requests,
    token_errors: o.token_errors,
    userinfo_requests: o.userinfo_requests,
    revocation_requests: o.revocation_requests,
    introspection_requests: o.introspection_requests,
  });
  check('stats after main flow', JSON.stringify(counted(s)) === JSON.stringify(expect1), JSON.stringify(s));
  check('stats time refresh handling', s.refresh_ms_total > 0 && s.refresh_ms_last > 0 && s.token_failures_injected === 0,
    JSON.stringify(s));

  const rs = await fetch(`${issuer}/_test/reset`, { method: 'POST' });
  s = await stats(issuer);
  check('reset zeroes stats', rs.status === 200 && s.token_requests.authorization_code === 0
    && s.token_requests.refresh_token === 0 && s.userinfo_requests === 0, JSON.stringify(s));

  // ---- scope "openid" only: refresh token is still issued ---------------
  {
    const q = pkce();
    const st = b64url(randomBytes(8));
    const b = await runBrowser(authUrl(meta, redirectUri, { scope: 'openid', challenge: q.challenge, state: st, nonce: 'n1' }),
      { BROWSER_LOGIN: 'alice' });
    const c = loop.hits.shift() || {};
    secrets.push(c.code);
    const t = await postForm(meta.token_endpoint, {
      grant_type: 'authorization_code', code: c.code, redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: q.verifier,
    });
    secrets.push(t.json?.access_token, t.json?.refresh_token, t.json?.id_token);
    check('scope=openid: browser ok', b.code === 0, b.stderr);
    check('scope=openid: refresh_token still issued', t.status === 200 && typeof t.json?.refresh_token === 'string', t.text);
    check('BROWSER_LOGIN sets sub', t.json?.id_token && decodeJwtPayload(t.json.id_token).sub === 'alice');

    // Revocation (RFC 7009) of the refresh token, then it is unusable.
    const rv = await postForm(meta.revocation_endpoint, { token: t.json?.refresh_token, token_type_hint: 'refresh_token', client_id: CLIENT_ID });
    check('revocation 200', rv.status === 200, rv.text);
    const after = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: t.json?.refresh_token, client_id: CLIENT_ID });
    check('revoked refresh token -> invalid_grant', after.status === 400 && after.json?.error === 'invalid_grant', after.text);
  }

  // ---- authorization code replay revokes what the code produced ---------
  {
    const q = pkce();
    await runBrowser(authUrl(meta, redirectUri, { challenge: q.challenge, state: 's', nonce: 'n' }));
    const c = loop.hits.shift() || {};
    secrets.push(c.code);
    const params = {
      grant_type: 'authorization_code', code: c.code, redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: q.verifier,
    };
    const first = await postForm(meta.token_endpoint, params);
    secrets.push(first.json?.access_token, first.json?.refresh_token, first.json?.id_token);
    const replay = await postForm(meta.token_endpoint, params);
    check('code replay -> invalid_grant', replay.status === 400 && replay.json?.error === 'invalid_grant', replay.text);
    const u = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${first.json?.access_token}` } });
    check('code replay revoked the access token issued from it', u.status === 401, String(u.status));
  }

  // ---- wrong PKCE verifier ----------------------------------------------
  {
    const q = pkce();
    await runBrowser(authUrl(meta, redirectUri, { challenge: q.challenge, state: 's', nonce: 'n' }));
    const c = loop.hits.shift() || {};
    secrets.push(c.code);
    const t = await postForm(meta.token_endpoint, {
      grant_type: 'authorization_code', code: c.code, redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: pkce().verifier,
    });
    check('wrong code_verifier -> invalid_grant', t.status === 400 && t.json?.error === 'invalid_grant', t.text);
  }

  // ---- PKCE required / S256 only -----------------------------------------
  {
    const u = new URL(authUrl(meta, redirectUri, { challenge: 'x', state: 's', nonce: 'n' }));
    u.searchParams.delete('code_challenge');
    u.searchParams.delete('code_challenge_method');
    const b = await runBrowser(u.href);
    const c = loop.hits.shift() || {};
    check('missing code_challenge -> error=invalid_request at callback', b.code === 0 && c.error === 'invalid_request' && !c.code, JSON.stringify(c));
    u.searchParams.set('code_challenge', pkce().verifier);
    u.searchParams.set('code_challenge_method', 'plain');
    await runBrowser(u.href);
    const c2 = loop.hits.shift() || {};
    check('code_challenge_method=plain rejected', c2.error === 'invalid_request' && !c2.code, JSON.stringify(c2));
  }

  // ---- consent denied --------------------------------------------------
  {
    const q = pkce();
    const b = await runBrowser(authUrl(meta, redirectUri, { challenge: q.challenge, state: 'deny-state', nonce: 'n' }), { BROWSER_DENY: '1' });
    const c = loop.hits.shift() || {};
    check('BROWSER_DENY=1 -> error=access_denied at callback', b.code === 0 && c.error === 'access_denied' && c.state === 'deny-state' && !c.code,
      `${b.code} ${JSON.stringify(c)} ${b.stderr}`);
  }

  // ---- redirect_uri must be 127.0.0.1 (not localhost), path must match ---
  {
    const q = pkce();
    const b = await runBrowser(authUrl(meta, `http://localhost:${loop.port}/callback`, { challenge: q.challenge, state: 's', nonce: 'n' }));
    check('redirect_uri with localhost rejected (provider error page, exit 3)', b.code === 3 && /redirect_uri/.test(b.stderr), `${b.code} ${b.stderr}`);
    const b2 = await runBrowser(authUrl(meta, `http://127.0.0.1:${loop.port}/other`, { challenge: q.challenge, state: 's', nonce: 'n' }));
    check('redirect_uri with other path rejected', b2.code === 3, `${b2.code} ${b2.stderr}`);
  }

  // ---- browser exit status when the client listener answers non-2xx -----
  {
    const q = pkce();
    const u = authUrl(meta, `http://127.0.0.1:${loop.port}/callback/`, { challenge: q.challenge, state: 's', nonce: 'n' });
    const b = await runBrowser(u);
    check('trailing-slash redirect_uri is a different URI (rejected)', b.code === 3, `${b.code} ${b.stderr}`);
  }
  {
    const dead = http.createServer();
    await new Promise((r) => { dead.listen(0, '127.0.0.1', r); });
    const deadPort = dead.address().port;
    await new Promise((r) => { dead.close(r); });
    const q = pkce();
    const b = await runBrowser(authUrl(meta, `http://127.0.0.1:${deadPort}/callback`, { challenge: q.challenge, state: 's', nonce: 'n' }));
    check('unreachable loopback listener -> browser exit 1', b.code === 1, `${b.code} ${b.stderr}`);
  }

  // ---- confidential client --------------------------------------------
  {
    const q = pkce();
    const b = await runBrowser(authUrl(meta, redirectUri, {
      clientId: 'credctl-secret', challenge: q.challenge, state: 's2', nonce: 'n2',
    }));
    const c = loop.hits.shift() || {};
    secrets.push(c.code);
    check('confidential client: browser ok', b.code === 0 && !!c.code, b.stderr);
    const params = {
      grant_type: 'authorization_code', code: c.code, redirect_uri: redirectUri, code_verifier: q.verifier,
    };
    const bad = await postForm(meta.token_endpoint, params, {
      authorization: `Basic ${Buffer.from('credctl-secret:wrong').toString('base64')}`,
    });
    check('wrong client_secret -> 401 invalid_client', bad.status === 401 && bad.json?.error === 'invalid_client', bad.text);
    const good = await postForm(meta.token_endpoint, params, {
      authorization: `Basic ${Buffer.from('credctl-secret:test-secret-123').toString('base64')}`,
    });
    secrets.push(good.json?.access_token, good.json?.refresh_token, good.json?.id_token);
    check('client_secret_basic exchange 200 with refresh_token', good.status === 200 && typeof good.json?.refresh_token === 'string', good.text);
    // Held by /_test/hold: handled and counted, answered on /_test/release.
    const refreshes = async () => (await stats(issuer)).token_requests.refresh_token;
    const before = await refreshes();
    await fetch(`${issuer}/_test/hold?grant=refresh_token`, { method: 'POST' });
    let answered = false;
    const held = postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: good.json?.refresh_token }, {
      authorization: `Basic ${Buffer.from('credctl-secret:test-secret-123').toString('base64')}`,
    }).then((r) => { answered = true; return r; });
    for (let i = 0; i < 250 && await refreshes() === before; i += 1) await sleep(20);
    await sleep(200);
    check('hold: the refresh is handled and its answer held', await refreshes() === before + 1 && !answered);
    const release = await (await fetch(`${issuer}/_test/release`, { method: 'POST' })).json();
    check('release sends the one held answer', release.released === 1, JSON.stringify(release));
    const rr = await held;
    secrets.push(rr.json?.refresh_token, rr.json?.access_token);
    check('confidential refresh rotates too', rr.status === 200 && rr.json?.refresh_token !== good.json?.refresh_token, rr.text);
  }

  s = await stats(issuer);
  check('stats counts revocations', s.revocation_requests === 1, JSON.stringify(s));
  check('stats counts code + refresh grants after reset',
    s.token_requests.authorization_code === 6 && s.token_requests.refresh_token === 2
    && s.token_errors.authorization_code === 3 && s.token_errors.refresh_token === 1, JSON.stringify(s));

  // ---- logs never contain token material --------------------------------
  const logs = prov.out.stdout + prov.out.stderr;
  const leaked = secrets.filter((x) => typeof x === 'string' && x.length > 8 && logs.includes(x));
  check('provider logs contain no codes/tokens', leaked.length === 0, `${leaked.length} leaked`);
  check('provider logs contain no client secret', !logs.includes('test-secret-123'));
  check('provider stderr is one line per token request',
    prov.out.stderr.trim().split('\n').every((l) => /^\[oidc\] token grant_type=\S+ status=\d+/.test(l)), prov.out.stderr);
} catch (err) {
  check('selftest ran without exceptions', false, err.stack || String(err));
} finally {
  loop.server.close();
  prov.child.kill('SIGTERM');
  const t0 = Date.now();
  const { code, signal } = await Promise.race([prov.exited, sleep(5000).then(() => ({ code: 'timeout' }))]);
  check('provider exits 0 on SIGTERM', code === 0, `code=${code} signal=${signal} after ${Date.now() - t0}ms`);
  if (code === 'timeout') prov.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}

process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
