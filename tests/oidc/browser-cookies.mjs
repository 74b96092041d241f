// Cookie jar of the scripted browser (browser.mjs): keeps what Set-Cookie
// headers set, by host or Domain and Path, honours Max-Age and Expires, and
// refuses Secure cookies over plain http as a real browser does. header()
// gives the Cookie header for a request URL, longer paths first.

import { say } from './browser-output.mjs';

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

export class CookieJar {
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
