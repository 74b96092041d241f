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
//
// The parts: browser-flow.mjs (the walk from page to page), browser-html.mjs
// (forms and links), browser-cookies.mjs (the cookie jar), browser-output.mjs
// (messages and the Exit error).

import process from 'node:process';

import { run } from './browser-flow.mjs';
import { Exit, say, scrub } from './browser-output.mjs';

const TIMEOUT_MS = 30_000;
const OPTIONS = {
  login: process.env.BROWSER_LOGIN || 'demo-user',
  password: process.env.BROWSER_PASSWORD || 'any-password',
  deny: process.env.BROWSER_DENY === '1',
  verbose: process.env.BROWSER_VERBOSE === '1',
  printRedirect: process.env.BROWSER_PRINT_REDIRECT === '1',
};

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
  code = await run(argv[0], controller.signal, OPTIONS);
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
