// What the scripted browser (browser.mjs) says, and how: messages on stderr,
// URLs reduced to origin and path, free text scrubbed of anything that looks
// like a credential, and Exit, the error that carries the exit status.
// Nothing here prints an authorization code, token, cookie or query string.

import process from 'node:process';

export class Exit extends Error {
  constructor(code, message) {
    super(message);
    this.exitCode = code;
  }
}

export function say(msg) {
  process.stderr.write(`browser: ${msg}\n`);
}

// A URL safe to print: origin and path only, never the query or fragment.
export function show(url) {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<unparseable url>';
  }
}

// Strip anything that looks like a credential from free text before printing.
export function scrub(text) {
  return String(text)
    .replace(/<[^>]*>/g, ' ')
    .replace(/\b(code|access_token|refresh_token|id_token|client_secret|password|state|nonce)=[^&\s"'<>]*/gi, '$1=<redacted>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}
