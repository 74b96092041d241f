// The scripted browser's walk through a login (browser.mjs): from the start
// URL it follows redirects with a cookie jar, answers the provider's pages
// (device confirmation, login, consent, auto-submitting forms) and ends at
// the client's loopback redirect URI. run() resolves to the exit status or
// throws Exit; `options` are {login, password, deny, verbose, printRedirect}
// as browser.mjs reads them from the environment.

import process from 'node:process';

import { CookieJar } from './browser-cookies.mjs';
import {
  fillForm, findLinks, hiddenValue, parseForms,
} from './browser-html.mjs';
import {
  Exit, say, scrub, show,
} from './browser-output.mjs';

const MAX_HOPS = 40;

// The end of the walk, at the client's redirect URI: 0 if it answered 2xx.
async function callbackOutcome(res, target, options) {
  const text = await res.text().catch(() => '');
  if (options.printRedirect) {
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

// The request that submits `form` of the page at `target`.
function submit(form, target, options) {
  return { url: new URL(form.action || target.href, target).href, method: 'POST', body: fillForm(form, options).toString() };
}

// Consent: grant it by submitting the form or, with `deny`, follow the
// page's cancel/abort link.
function answerConsent(consent, text, target, options) {
  if (options.deny) {
    const abort = findLinks(text).find((l) => /\/abort\/?$/.test(new URL(l.href, target).pathname))
      ?? findLinks(text).find((l) => /cancel|abort|deny/i.test(l.text));
    if (!abort) throw new Exit(3, 'BROWSER_DENY=1 but the consent page has no cancel/abort link');
    if (options.verbose) say('denying consent');
    return { url: new URL(abort.href, target).href, method: 'GET', body: undefined };
  }
  if (options.verbose) say('granting consent');
  if (consent.method !== 'post') throw new Exit(3, 'consent form does not use POST');
  return submit(consent, target, options);
}

// response_mode=form_post style auto-submitting page towards the client.
function offsiteRequest(offsite, target, options) {
  const req = {
    url: new URL(offsite.action, target).href,
    method: offsite.method === 'post' ? 'POST' : 'GET',
    body: offsite.method === 'post' ? fillForm(offsite, options).toString() : undefined,
  };
  if (offsite.method !== 'post') {
    const u = new URL(req.url);
    for (const [k, v] of fillForm(offsite, options)) u.searchParams.append(k, v);
    req.url = u.href;
  }
  return req;
}

// What to do on a 200 page of the provider: the next request, or 0 when the
// provider confirmed a device login. `walk` holds {providerOrigin, sawLogin,
// sawConsent} across pages.
function nextFromPage(text, target, walk, options) {
  const forms = parseForms(text);
  if (/<title>Sign-in Success<\/title>/.test(text)) {
    say('device login confirmed by the provider');
    return 0;
  }
  const deviceConfirm = forms.find((f) => hiddenValue(f, 'confirm') === 'yes' && hiddenValue(f, 'user_code') !== undefined);
  if (deviceConfirm) {
    if (options.verbose) say('confirming the device code');
    return submit(deviceConfirm, target, options);
  }
  const login = forms.find((f) => hiddenValue(f, 'prompt') === 'login');
  const consent = forms.find((f) => hiddenValue(f, 'prompt') === 'consent');

  if (login) {
    if (walk.sawLogin) throw new Exit(3, 'login form shown again: sign-in was not accepted');
    walk.sawLogin = true;
    if (options.verbose) say(`signing in as "${options.login}"`);
    if (login.method !== 'post') throw new Exit(3, 'login form does not use POST');
    return submit(login, target, options);
  }
  if (consent) {
    if (walk.sawConsent) throw new Exit(3, 'consent form shown again: consent was not accepted');
    walk.sawConsent = true;
    return answerConsent(consent, text, target, options);
  }
  // An auto-submitting page of the provider's own (the device flow's
  // callback step): submit its form as the script would.
  if (/document\.forms\[0\]\.submit\(\)/.test(text) && forms.length > 0 && forms[0].method === 'post') {
    return submit(forms[0], target, options);
  }
  const offsite = forms.find((f) => f.action && new URL(f.action, target).origin !== walk.providerOrigin);
  if (offsite) return offsiteRequest(offsite, target, options);

  throw new Exit(3, `unexpected page at ${show(target.href)} (no login/consent form): ${scrub(text)}`);
}

function startUrlOf(startUrl) {
  let start;
  try {
    start = new URL(startUrl);
  } catch {
    throw new Exit(2, 'argument is not a valid URL');
  }
  if (start.protocol !== 'http:' && start.protocol !== 'https:') {
    throw new Exit(2, `unsupported URL scheme ${start.protocol}`);
  }
  return start;
}

async function fetchHop(req, target, isCallback, headers, signal) {
  try {
    return await fetch(target.href, {
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
}

// The request a redirect answer leads to; from a client's own start URL,
// the first redirect away from its origin names the provider's origin.
async function followRedirect(res, req, target, hop, walk) {
  await res.arrayBuffer().catch(() => {});
  const location = res.headers.get('location');
  if (!location) throw new Exit(3, `${res.status} without Location from ${show(target.href)}`);
  const next = new URL(location, target);
  if (hop === 0 && walk.startAtClient && next.origin !== walk.providerOrigin) walk.providerOrigin = next.origin;
  const keep = res.status === 307 || res.status === 308;
  return { url: next.href, method: keep ? req.method : 'GET', body: keep ? req.body : undefined };
}

export async function run(startUrl, signal, options) {
  const start = startUrlOf(startUrl);
  // A client may start the browser on a loopback URL of its own that
  // redirects to the provider (credctl does, to keep the authorization URL
  // out of argv): the origin of that first redirect is the provider's. An
  // authorization request (it names a client_id) is at the provider, whose
  // first redirect may already go back to the client with an error.
  const walk = {
    providerOrigin: start.origin,
    startAtClient: !start.searchParams.has('client_id'),
    sawLogin: false,
    sawConsent: false,
  };
  const jar = new CookieJar();
  let req = { url: start.href, method: 'GET', body: undefined };

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const target = new URL(req.url);
    const isCallback = target.origin !== walk.providerOrigin;
    const headers = {
      'user-agent': 'credctl-test-browser/1',
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
    };
    const cookie = jar.header(target.href);
    if (cookie) headers.cookie = cookie;
    if (req.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';

    if (isCallback && options.printRedirect) {
      process.stdout.write(`${target.href}\n`);
      return 0;
    }
    const res = await fetchHop(req, target, isCallback, headers, signal);
    jar.store(target.href, res.headers.getSetCookie?.() ?? []);
    if (options.verbose) say(`${req.method} ${show(target.href)} -> ${res.status}`);

    if (isCallback) return callbackOutcome(res, target, options);

    if ([301, 302, 303, 307, 308].includes(res.status)) {
      req = await followRedirect(res, req, target, hop, walk);
      continue;
    }
    const text = await res.text();
    if (res.status !== 200) {
      throw new Exit(3, `provider answered ${res.status} at ${show(target.href)}: ${scrub(text)}`);
    }
    const next = nextFromPage(text, target, walk, options);
    if (next === 0) return 0;
    req = next;
  }
  throw new Exit(3, `gave up after ${MAX_HOPS} requests without reaching the redirect URI`);
}
