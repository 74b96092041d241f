// Configuration of the test OpenID provider for oidc-provider: the three
// registered clients, the claims of any account (every login name is a valid
// account), the enabled features (device flow, introspection, revocation,
// userinfo, RFC 8707 resource indicators with one resource server), PKCE S256
// required, rotating refresh tokens and the token lifetimes. Keys (signing and
// cookie) are fresh random ones on every start.

import { generateKeyPairSync, randomBytes } from 'node:crypto';

import { MemoryAdapter } from './provider-store.mjs';

// The one resource server (RFC 8707) this provider knows, and its scope.
const TEST_RESOURCE = 'https://api.example.test';
const TEST_RESOURCE_SCOPE = 'api:read';

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }), kid: 'credctl-test-rs256', use: 'sig', alg: 'RS256',
  };
}

const CLIENT_COMMON = {
  application_type: 'native',
  // Registered without a port; oidc-provider ignores the port when matching
  // http loopback redirect URIs of native clients (RFC 8252 section 7.3).
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types: ['code'],
  scope: 'openid profile email offline_access',
};

const CLIENTS = [
  { ...CLIENT_COMMON, client_id: 'credctl-demo', token_endpoint_auth_method: 'none' },
  {
    ...CLIENT_COMMON,
    client_id: 'credctl-secret',
    client_secret: 'test-secret-123',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    ...CLIENT_COMMON,
    client_id: 'credctl-post',
    client_secret: 'test-secret-456',
    token_endpoint_auth_method: 'client_secret_post',
  },
];

// Every login name is an account, with made-up claims.
async function findAccount(ctx, id) {
  if (typeof id !== 'string' || id === '') return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: id,
        preferred_username: id,
        email: `${id}@example.test`,
        email_verified: true,
      };
    },
  };
}

// The oidc-provider features turned on; `errors` holds the library's error classes.
function features(errors) {
  return {
    devInteractions: { enabled: true },
    // RFC 8628; the verification page is /device.
    deviceFlow: { enabled: true },
    introspection: {
      enabled: true,
      // Public clients may introspect their own tokens only; confidential
      // clients may introspect anything (test harness, not production).
      async allowedPolicy(ctx, client, token) {
        if (client.clientAuthMethod === 'none' && token.clientId !== ctx.oidc.client.clientId) {
          return false;
        }
        return true;
      },
    },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    // RFC 8707. A request without `resource` is handled exactly as with
    // the feature off: an opaque, audience-less access token usable at
    // userinfo. With resource=TEST_RESOURCE the access token is a JWT
    // whose `aud` is that resource; any other resource is invalid_target.
    resourceIndicators: {
      enabled: true,
      async defaultResource(ctx, client, oneOf) {
        return oneOf; // no default: undefined unless the client asked for some
      },
      // The library default, spelled out: a token request must name the
      // resource again. A refresh (or code exchange) of an openid grant
      // without `resource` gets a userinfo token, so a client that forgets
      // the parameter there shows up as a token without the audience.
      async useGrantedResource() {
        return false;
      },
      async getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator !== TEST_RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: TEST_RESOURCE_SCOPE,
          audience: TEST_RESOURCE,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  };
}

function ttl(accessTtl, refreshTtl) {
  return {
    AccessToken: accessTtl,
    AuthorizationCode: 60,
    DeviceCode: 120,
    IdToken: 3600,
    RefreshToken: refreshTtl,
    Interaction: 600,
    Session: 3600,
    Grant: Math.max(refreshTtl, 14 * 24 * 3600),
  };
}

// The oidc-provider configuration: token lifetimes `accessTtl` and
// `refreshTtl` in seconds, `errors` the library's error classes.
export function configuration({ accessTtl, refreshTtl, errors }) {
  return {
    clients: CLIENTS,
    adapter: MemoryAdapter,
    jwks: { keys: [signingKey()] },
    // Default is 15 s and it also applies to opaque token expiry: an access
    // token with a 8 s TTL would stay valid at userinfo for ~23 s.
    clockTolerance: 0,
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      // Default long-lived cookie is SameSite=None, which real browsers drop
      // on plain http. Lax works for the top-level navigations used here.
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    findAccount,
    features: features(errors),
    pkce: {
      methods: ['S256'],
      required: () => true,
    },
    // Always hand out a refresh token for the code grant when the client is
    // registered for the refresh_token grant, offline_access or not.
    async issueRefreshToken(ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    // Tokens outlive the (in-memory) browser session: the scripted browser
    // throws its cookie jar away right after the flow.
    async expiresWithSession() {
      return false;
    },
    rotateRefreshToken: true,
    ttl: ttl(accessTtl, refreshTtl),
    async renderError(ctx, out) {
      // Plain text, no request echo beyond the registered error fields.
      ctx.type = 'text/plain';
      ctx.body = `error=${out.error}\nerror_description=${out.error_description || ''}\n`;
    },
  };
}

