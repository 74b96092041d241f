// Storage of the test OpenID provider: an unbounded in-memory oidc-provider
// adapter. The bundled dev adapter is an LRU capped at 1000 entries (a long
// test run could silently lose a live refresh token) and never expires
// entries itself; here entries vanish once their TTL is over. State lives for
// the life of the process; revokeAllGrants() serves POST /_test/revoke-all.

const store = new Map(); // key -> { value, expiresAt (ms epoch) | null }

function storeGet(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.value;
}

function storeSet(key, value, expiresIn) {
  store.set(key, { value, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : null });
}

// Sweep expired entries now and then so a long-running provider stays small.
setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) {
    if (entry.expiresAt !== null && entry.expiresAt <= now) store.delete(key);
  }
}, 30_000).unref();

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

export class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    if (this.model === 'Session') storeSet(`sessionUid:${payload.uid}`, id, expiresIn);
    const { grantId, userCode } = payload;
    if (GRANTABLE.has(this.model) && grantId) {
      const grantKey = `grant:${grantId}`;
      const list = storeGet(grantKey);
      if (list) list.push(key);
      else storeSet(grantKey, [key], null);
    }
    if (userCode) storeSet(`userCode:${userCode}`, id, expiresIn);
    storeSet(key, payload, expiresIn);
  }

  async find(id) {
    return storeGet(this.key(id));
  }

  async findByUid(uid) {
    const id = storeGet(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = storeGet(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = storeGet(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) { // eslint-disable-line class-methods-use-this
    await MemoryAdapter.revokeGrant(grantId);
  }

  static async revokeGrant(grantId) {
    const grantKey = `grant:${grantId}`;
    const list = storeGet(grantKey);
    if (list) for (const key of list) store.delete(key);
    store.delete(grantKey);
  }
}

// Revokes every grant: its tokens and codes are gone, refresh tokens stop working.
export async function revokeAllGrants() {
  for (const key of [...store.keys()]) {
    if (key.startsWith('grant:')) await MemoryAdapter.revokeGrant(key.slice('grant:'.length));
  }
}
