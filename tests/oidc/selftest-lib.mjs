// Helpers of the self-test (selftest.mjs): PKCE, the provider and the
// scripted browser as child processes, a loopback redirect listener, form
// posts, authorization URLs and the provider's counters.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ACCESS_TTL = 3;
export const CLIENT_ID = 'credctl-demo';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

export function pkce() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

export function decodeJwtPayload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

// ------------------------------------------------------------ helpers ----

export function startProvider(tmp) {
  const readyFile = path.join(tmp, 'ready');
  const child = spawn(process.execPath, [path.join(HERE, 'provider.mjs'), '--port', '0',
    '--ready-file', readyFile, '--access-ttl', String(ACCESS_TTL)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { out.stdout += d; });
  child.stderr.on('data', (d) => { out.stderr += d; });
  const exited = new Promise((resolve) => { child.on('exit', (code, signal) => resolve({ code, signal })); });
  return { child, out, exited, readyFile };
}

export async function waitReady(readyFile, ms = 15000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (existsSync(readyFile)) return readFileSync(readyFile, 'utf8');
    await sleep(50);
  }
  throw new Error('provider did not become ready');
}

// Throwaway OAuth client loopback listener: captures the callback query.
export function startLoopback() {
  const hits = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
      res.writeHead(404).end('not found');
      return;
    }
    hits.push(Object.fromEntries(u.searchParams));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('you may close this window\n');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, hits, port: server.address().port }));
  });
}

export function runBrowser(url, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(path.join(HERE, 'browser'), [url], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function postForm(url, params, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

export function authUrl(meta, redirectUri, { scope = 'openid offline_access', challenge, state, nonce, clientId = CLIENT_ID }) {
  const u = new URL(meta.authorization_endpoint);
  u.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return u.href;
}

export async function stats(issuer) {
  return (await fetch(`${issuer}/_test/stats`)).json();
}
