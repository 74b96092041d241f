#!/usr/bin/env node
// Scripted user agent standing in for a web browser in credctl tests.
//
//   node browser.mjs AUTHORIZATION_URL
//
// The URL may be a client's own launch URL that redirects to the provider.
// Follows redirects by hand with a cookie jar, signs in through the
// oidc-provider devInteractions login form, answers the consent form and
// finally performs the GET on the client's loopback redirect URI
// (http://127.0.0.1:PORT/callback?...), which is the OAuth client's listener.
//
// Environment:
//   BROWSER_LOGIN     login name to sign in with (default: demo-user)
//   BROWSER_PASSWORD  password to type (default: any-password; any is accepted)
//   BROWSER_DENY=1    press "Cancel" on the consent page -> error=access_denied
//   BROWSER_VERBOSE=1 trace each hop (method, origin+path, status; no queries)
//   BROWSER_PRINT_REDIRECT=1  do not GET the client's redirect URI: print it
//                     on stdout (the address a user pastes back into
//                     `credctl login --no-browser`) and exit 0
//
// Device flow (RFC 8628): give the verification_uri_complete as the URL; the
// confirmation form is submitted, then login and consent as usual, and the
// provider's "Sign-in Success" page ends the run with exit 0.
//
// Exit status:
//   0  the loopback callback answered 2xx
//   1  the loopback callback answered non-2xx (or could not be reached)
//   2  usage error
//   3  the provider flow went wrong (error page, unexpected page, too many hops)
//   4  timed out (30 s overall) or network error towards the provider
//
// It never prints authorization codes, tokens, cookies or query strings.

import process from 'node:process';

const TIMEOUT_MS = 30_000;
const MAX_HOPS = 40;
const LOGIN = process.env.BROWSER_LOGIN || 'demo-user';
const PASSWORD = process.env.BROWSER_PASSWORD || 'any-password';
const DENY = process.env.BROWSER_DENY === '1';
const VERBOSE = process.env.BROWSER_VERBOSE === '1';
const PRINT_REDIRECT = process.env.BROWSER_PRINT_REDIRECT === '1';

class Exit extends Error {
  constructor(code, message) {
    super(message);
    this.exitCode = code;
  }
}

function say(msg) {
  process.stderr.write(`browser: ${msg}\n`);
}

// A URL safe to print: origin and path only, never the query or fragment.
function show(url) {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<unparseable url>';
  }
}

// Strip anything that looks like a credential from free text before printing.
function scrub(text) {
  return String(text)
    .replace(/<[^>]*>/g, ' ')
    .replace(/\b(code|access_token|refresh_token|id_token|client_secret|password|state|nonce)=[^&\s"'<>]*/gi, '$1=<redacted>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

// ------------------------------------------------------------ cookies ----

function defaultCookiePath(url) {
  const { pathname } = url;
  if (!pathname.startsWith('/')) return '/';
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(reqPath, cookiePath) {
  if (reqPath === cookiePath) return true;
  if (!reqPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || reqPath[cookiePath.length] === '/';
}

class CookieJar {
  #cookies = new Map();

  store(requestUrl, setCookieHeaders) {
    const url = new URL(requestUrl);
    for (const header of setCookieHeaders) {
      const [pair, ...attrParts] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const cookie = {
        name, value, host: url.hostname, domain: null, path: defaultCookiePath(url), expires: null,
      };
      let secure = false;
      for (const part of attrParts) {
        const i = part.indexOf('=');
        const key = (i === -1 ? part : part.slice(0, i)).trim().toLowerCase();
        const val = i === -1 ? '' : part.slice(i + 1).trim();
        if (key === 'path' && val.startsWith('/')) cookie.path = val;
        else if (key === 'max-age' && /^-?\d+$/.test(val)) cookie.expires = Date.now() + Number(val) * 1000;
        else if (key === 'expires' && cookie.expires === null) {
          const t = Date.parse(val);
          if (!Number.isNaN(t)) cookie.expires = t;
        } else if (key === 'domain' && val) cookie.domain = val.replace(/^\./, '').toLowerCase();
        else if (key === 'secure') secure = true;
      }
      if (secure && url.protocol !== 'https:') {
        // What a real browser does: Secure cookies cannot be set over http.
        say(`warning: ignoring Secure cookie "${name}" set over plain http by ${url.origin}`);
        continue;
      }
      const key = `${cookie.domain ?? cookie.host}|${cookie.path}|${name}`;
      if (cookie.expires !== null && cookie.expires <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  header(requestUrl) {
    const url = new URL(requestUrl);
    const now = Date.now();
    const out = [];
    for (const [key, c] of this.#cookies) {
      if (c.expires !== null && c.expires <= now) {
        this.#cookies.delete(key);
        continue;
      }
      const hostOk = c.domain
        ? url.hostname === c.domain || url.hostname.endsWith(`.${c.domain}`)
        : url.hostname === c.host;
      if (hostOk && pathMatches(url.pathname, c.path)) out.push(c);
    }
    // Longer paths first, as browsers do.
    out.sort((a, b) => b.path.length - a.path.length);
    return out.map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

// --------------------------------------------------------------- HTML ----

const ENTITIES = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#x2F': '/', '#47': '/',
};

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (ENTITIES[e] !== undefined) return ENTITIES[e];
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (Number.isFinite(n)) return String.fromCodePoint(n);
    }
    return m;
  });
}

function parseAttrs(s) {
  const attrs = {};
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  let m;
  while ((m = re.exec(s)) !== null) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

function parseForms(html) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = parseAttrs(m[1]);
    const inputs = [...m[2].matchAll(/<input\b([^>]*)>/gi)].map((i) => parseAttrs(i[1]));
    forms.push({
      action: attrs.action ?? '',
      method: (attrs.method || 'get').toLowerCase(),
      inputs,
    });
  }
  return forms;
}

function hiddenValue(form, name) {
  const input = form.inputs.find((i) => i.name === name && (i.type || 'text').toLowerCase() === 'hidden');
  return input ? input.value ?? '' : undefined;
}

function findLinks(html) {
  return [...html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)]
    .map((m) => ({ href: parseAttrs(m[1]).href, text: m[2].replace(/<[^>]*>/g, '').trim() }))
    .filter((l) => l.href);
}

// Fill a form the way a person would: keep hidden/prefilled values, type the
// login into the text field and the password into the password field.
function fillForm(form) {
  const body = new URLSearchParams();
  for (const input of form.inputs) {
    if (!input.name) continue;
    const type = (input.type || 'text').toLowerCase();
    if (['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
    if ((type === 'checkbox' || type === 'radio') && !('checked' in input)) continue;
    if (type === 'password') body.append(input.name, PASSWORD);
    else if (input.name === 'login' || input.name === 'username' || input.name === 'email') {
      body.append(input.name, LOGIN);
    } else body.append(input.name, input.value ?? '');
  }
  return body;
}

// --------------------------------------------------------------- flow ----

async function run(startUrl, signal) {
  let start;
  try {
    start = new URL(startUrl);
  } catch {
    throw new Exit(2, 'argument is not a valid URL');
  }
  if (start.protocol !== 'http:' && start.protocol !== 'https:') {
    throw new Exit(2, `unsupported URL scheme ${start.protocol}`);
  }
  // A client may start the browser on a loopback URL of its own that
  // redirects to the provider (credctl does, to keep the authorization URL
  // out of argv): the origin of that first redirect is the provider's.
  let providerOrigin = start.origin;
  const jar = new CookieJar();
  let req = { url: start.href, method: 'GET', body: undefined };
  let sawLogin = false;
  let sawConsent = false;

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const target = new URL(req.url);
    const isCallback = target.origin !== providerOrigin;
    const headers = {
      'user-agent': 'credctl-test-browser/1',
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
    };
    const cookie = jar.header(target.href);
    if (cookie) headers.cookie = cookie;
    if (req.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';

    if (isCallback && PRINT_REDIRECT) {
      process.stdout.write(`${target.href}\n`);
      return 0;
    }
    let res;
    try {
      res = await fetch(target.href, {
        method: req.method, headers, body: req.body, redirect: 'manual', signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      const why = err.cause?.code || err.cause?.message || err.message;
      if (isCallback) {
        throw new Exit(1, `could not reach the client's redirect URI ${show(target.href)}: ${why}`);
      }
      throw new Exit(4, `request to ${req.method} ${show(target.href)} failed: ${why}`);
    }
    jar.store(target.href, res.headers.getSetCookie?.() ?? []);
    if (VERBOSE) say(`${req.method} ${show(target.href)} -> ${res.status}`);

    if (isCallback) {
      const text = await res.text().catch(() => '');
      if (PRINT_REDIRECT) {
        process.stdout.write(`${target.href}\n`);
        return 0;
      }
      const params = [...target.searchParams.keys()];
      const error = target.searchParams.get('error');
      const what = error
        ? `error=${scrub(error)}`
        : `parameters: ${params.map((p) => scrub(p)).join(',') || '(none)'}`;
      if (res.status >= 200 && res.status < 300) {
        say(`redirected to ${show(target.href)} (${what}); client answered ${res.status}`);
        return 0;
      }
      throw new Exit(1, `redirected to ${show(target.href)} (${what}); client answered ${res.status}`
        + `${text ? `: ${scrub(text)}` : ''}`);
    }

    if ([301, 302, 303, 307, 308].includes(res.status)) {
      await res.arrayBuffer().catch(() => {});
      const location = res.headers.get('location');
      if (!location) throw new Exit(3, `${res.status} without Location from ${show(target.href)}`);
      const next = new URL(location, target);
      if (hop === 0 && next.origin !== providerOrigin) providerOrigin = next.origin;
      const keep = res.status === 307 || res.status === 308;
      req = {
        url: next.href,
        method: keep ? req.method : 'GET',
        body: keep ? req.body : undefined,
      };
      continue;
    }

    const text = await res.text();
    if (res.status !== 200) {
      throw new Exit(3, `provider answered ${res.status} at ${show(target.href)}: ${scrub(text)}`);
    }

    const forms = parseForms(text);
    if (/<title>Sign-in Success<\/title>/.test(text)) {
      say('device login confirmed by the provider');
      return 0;
    }
    const deviceConfirm = forms.find((f) => hiddenValue(f, 'confirm') === 'yes' && hiddenValue(f, 'user_code') !== undefined);
    if (deviceConfirm) {
      if (VERBOSE) say('confirming the device code');
      req = { url: new URL(deviceConfirm.action || target.href, target).href, method: 'POST', body: fillForm(deviceConfirm).toString() };
      continue;
    }
    const login = forms.find((f) => hiddenValue(f, 'prompt') === 'login');
    const consent = forms.find((f) => hiddenValue(f, 'prompt') === 'consent');

    if (login) {
      if (sawLogin) throw new Exit(3, 'login form shown again: sign-in was not accepted');
      sawLogin = true;
      if (VERBOSE) say(`signing in as "${LOGIN}"`);
      if (login.method !== 'post') throw new Exit(3, 'login form does not use POST');
      req = { url: new URL(login.action || target.href, target).href, method: 'POST', body: fillForm(login).toString() };
      continue;
    }

    if (consent) {
      if (sawConsent) throw new Exit(3, 'consent form shown again: consent was not accepted');
      sawConsent = true;
      if (DENY) {
        const abort = findLinks(text).find((l) => /\/abort\/?$/.test(new URL(l.href, target).pathname))
          ?? findLinks(text).find((l) => /cancel|abort|deny/i.test(l.text));
        if (!abort) throw new Exit(3, 'BROWSER_DENY=1 but the consent page has no cancel/abort link');
        if (VERBOSE) say('denying consent');
        req = { url: new URL(abort.href, target).href, method: 'GET', body: undefined };
        continue;
      }
      if (VERBOSE) say('granting consent');
      if (consent.method !== 'post') throw new Exit(3, 'consent form does not use POST');
      req = { url: new URL(consent.action || target.href, target).href, method: 'POST', body: fillForm(consent).toString() };
      continue;
    }

    // An auto-submitting page of the provider's own (the device flow's
    // callback step): submit its form as the script would.
    if (/document\.forms\[0\]\.submit\(\)/.test(text) && forms.length > 0 && forms[0].method === 'post') {
      req = { url: new URL(forms[0].action || target.href, target).href, method: 'POST', body: fillForm(forms[0]).toString() };
      continue;
    }

    // response_mode=form_post style auto-submitting page towards the client.
    const offsite = forms.find((f) => f.action && new URL(f.action, target).origin !== providerOrigin);
    if (offsite) {
      req = {
        url: new URL(offsite.action, target).href,
        method: offsite.method === 'post' ? 'POST' : 'GET',
        body: offsite.method === 'post' ? fillForm(offsite).toString() : undefined,
      };
      if (offsite.method !== 'post') {
        const u = new URL(req.url);
        for (const [k, v] of fillForm(offsite)) u.searchParams.append(k, v);
        req.url = u.href;
      }
      continue;
    }

    throw new Exit(3, `unexpected page at ${show(target.href)} (no login/consent form): ${scrub(text)}`);
  }
  throw new Exit(3, `gave up after ${MAX_HOPS} requests without reaching the redirect URI`);
}

// --------------------------------------------------------------- main ----

const argv = process.argv.slice(2);
if (argv.length !== 1 || argv[0] === '-h' || argv[0] === '--help') {
  say('usage: node browser.mjs AUTHORIZATION_URL');
  process.exit(2);
}

const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
// Belt and braces: even a stuck body read cannot outlive the budget much.
const hardStop = setTimeout(() => {
  say(`timed out after ${TIMEOUT_MS / 1000}s`);
  process.exit(4);
}, TIMEOUT_MS + 2000);
hardStop.unref();

let code;
try {
  code = await run(argv[0], controller.signal);
} catch (err) {
  if (err instanceof Exit) {
    say(err.message);
    code = err.exitCode;
  } else if (controller.signal.aborted) {
    say(`timed out after ${TIMEOUT_MS / 1000}s`);
    code = 4;
  } else {
    say(`unexpected failure: ${scrub(err?.message ?? err)}`);
    code = 3;
  }
}
clearTimeout(timer);
process.exit(code);
