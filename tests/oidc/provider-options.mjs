// Command line of the test OpenID provider (provider.mjs): parses and checks
// the options, exiting with status 2 and a usage line on a bad one. Returns
// plain values; nothing here starts listening or imports oidc-provider.

import { readFileSync } from 'node:fs';
import process from 'node:process';
import { parseArgs } from 'node:util';

function usage(msg) {
  if (msg) process.stderr.write(`provider: ${msg}\n`);
  process.stderr.write('usage: node provider.mjs [--port N] [--ready-file PATH] '
    + '[--access-ttl SECONDS] [--refresh-ttl SECONDS] [--verbose]\n');
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '0' },
        'ready-file': { type: 'string' },
        'access-ttl': { type: 'string', default: '8' },
        'refresh-ttl': { type: 'string', default: '86400' },
        'token-delay-ms': { type: 'string', default: '0' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        host: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    return usage(err.message);
  }
}

// {port, accessTtl, refreshTtl, readyFile, tokenDelayMs, tls: {cert, key} | null,
//  host, verbose} from process.argv and OIDC_PROVIDER_VERBOSE.
export function parseOptions() {
  const args = parse();
  if (args.help) usage();

  function intArg(name, min, max) {
    const raw = args[name];
    if (!/^\d+$/.test(raw)) usage(`--${name} must be a non-negative integer`);
    const n = Number(raw);
    if (n < min || n > max) usage(`--${name} must be between ${min} and ${max}`);
    return n;
  }

  const options = {
    port: intArg('port', 0, 65535),
    accessTtl: intArg('access-ttl', 1, 365 * 24 * 3600),
    refreshTtl: intArg('refresh-ttl', 1, 365 * 24 * 3600),
    readyFile: args['ready-file'],
    tokenDelayMs: intArg('token-delay-ms', 0, 600_000),
    tls: args['tls-cert'] && args['tls-key']
      ? { cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) } : null,
    host: args.host,
    verbose: args.verbose || process.env.OIDC_PROVIDER_VERBOSE === '1',
  };
  if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined)) usage('--tls-cert and --tls-key go together');
  if (args.host !== undefined && !/^[A-Za-z0-9.-]{1,253}$/.test(args.host)) usage('--host must be a host name');
  return options;
}
