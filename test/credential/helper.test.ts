/** The get/store/erase semantics over the in-memory store: pure logic, no processes. */
import { describe, expect, it } from 'vitest';
import { parseCredential, type CredentialRequest } from '../../src/credential/protocol.js';
import { eraseCredential, getCredential, storeCredential } from '../../src/credential/helper.js';
import { MemoryStore } from '../../src/store/memory.js';

const NOW = 1_800_000_000_000;

function req(text: string): CredentialRequest {
  const r = parseCredential(text);
  if (!r.ok) throw new Error(r.error);
  return r.request;
}

async function setup() {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const stores = [a, b];
  const store = (text: string, target = a) => storeCredential(req(text), stores, async () => target, NOW);
  const get = (text: string) => getCredential(req(text), stores, NOW);
  return { a, b, stores, store, get };
}

describe('get', () => {
  it('prefers the default account, then an entry without path, then the newest', async () => {
    const { a, get } = await setup();
    await a.put(
      { protocol: 'https', host: 'h', username: 'old', hasPassword: true, hasCredential: false, storedAt: 1 },
      { password: 'old' },
    );
    await a.put(
      { protocol: 'https', host: 'h', username: 'new', hasPassword: true, hasCredential: false, storedAt: 2 },
      { password: 'new' },
    );
    expect(await get('protocol=https\nhost=h\n')).toContainEqual(['password', 'new']);
    await a.updateEntries((es) => es.map((e) => ({ ...e, isDefault: e.username === 'old' })));
    expect(await get('protocol=https\nhost=h\n')).toContainEqual(['password', 'old']);
  });

  it('skips tokens whose own expiry (from login) has passed', async () => {
    const { a, get } = await setup();
    await a.put(
      {
        protocol: 'https',
        host: 'h',
        username: 'u',
        hasPassword: true,
        hasCredential: false,
        storedAt: 1,
        meta: { expiresAt: NOW - 1 },
      },
      { password: 'p' },
    );
    expect(await get('protocol=https\nhost=h\n')).toEqual([]);
  });

  it("answers password_expiry_utc: the earlier of git's and the token's own expiry (login)", async () => {
    const { a, get } = await setup();
    const base = { protocol: 'https', host: 'h', hasPassword: true, hasCredential: false, storedAt: 1 };
    await a.put({ ...base, username: 'own', meta: { expiresAt: NOW + 86_400_500 } }, { password: 'p' });
    expect(await get('protocol=https\nhost=h\nusername=own\n')).toContainEqual([
      'password_expiry_utc',
      String(Math.floor((NOW + 86_400_500) / 1000)),
    ]);
    await a.put(
      { ...base, username: 'both', passwordExpiryUtc: NOW / 1000 + 60, meta: { expiresAt: NOW + 86_400_000 } },
      { password: 'p' },
    );
    expect(await get('protocol=https\nhost=h\nusername=both\n')).toContainEqual([
      'password_expiry_utc',
      String(NOW / 1000 + 60),
    ]);
    await a.put({ ...base, username: 'none' }, { password: 'p' });
    expect((await get('protocol=https\nhost=h\nusername=none\n')).map(([k]) => k)).not.toContain('password_expiry_utc');
  });

  it('answers nothing without protocol or host', async () => {
    const { store, get } = await setup();
    await store('protocol=https\nhost=h\nusername=u\npassword=p\n');
    expect(await get('host=h\n')).toEqual([]);
    expect(await get('protocol=https\n')).toEqual([]);
  });

  it("with useHttpPath, a token from login serves every path under its server; git's own path entries need the exact path", async () => {
    const { a, get } = await setup();
    await a.put(
      {
        protocol: 'https',
        host: 'h',
        username: 'u',
        hasPassword: true,
        hasCredential: false,
        storedAt: 1,
        meta: { baseUrl: 'https://h/bitbucket' },
      },
      { password: 'server-wide' },
    );
    await a.put(
      { protocol: 'https', host: 'g', username: 'u', hasPassword: true, hasCredential: false, storedAt: 1 },
      { password: 'git-host-level' },
    );
    expect(await get('protocol=https\nhost=h\npath=bitbucket/scm/p/r.git\n')).toContainEqual([
      'password',
      'server-wide',
    ]);
    expect(await get('protocol=https\nhost=h\npath=other/scm/p/r.git\n')).toEqual([]);
    expect(await get('protocol=https\nhost=g\npath=scm/p/r.git\n')).toEqual([]);
  });

  it('looks in every store', async () => {
    const { b, store, get } = await setup();
    await store('protocol=https\nhost=h2\nusername=u\npassword=in-b\n', b);
    expect(await get('protocol=https\nhost=h2\n')).toContainEqual(['password', 'in-b']);
  });
});

describe('store', () => {
  it('writes nothing when the same credential is stored again, and keeps login metadata', async () => {
    const { a, store } = await setup();
    await a.put(
      {
        protocol: 'https',
        host: 'h',
        username: 'u',
        hasPassword: true,
        hasCredential: false,
        storedAt: 1,
        meta: { kind: 'personal' },
        isDefault: true,
      },
      { password: 'p' },
    );
    expect((await store('protocol=https\nhost=h\nusername=u\npassword=p\n')).result).toBe('unchanged');
    expect((await a.list())[0]?.meta).toEqual({ kind: 'personal' });
  });

  it('moves an entry to the chosen store instead of keeping two copies', async () => {
    const { a, b, store } = await setup();
    await store('protocol=https\nhost=h\nusername=u\npassword=p1\n', a);
    await store('protocol=https\nhost=h\nusername=u\npassword=p2\n', b);
    expect(await a.list()).toEqual([]);
    expect((await b.read({ protocol: 'https', host: 'h', username: 'u' }))?.password).toBe('p2');
  });

  it('ignores requests without a full credential', async () => {
    const { store } = await setup();
    expect((await store('protocol=https\nhost=h\nusername=u\n')).result).toBe('ignored');
    expect((await store('protocol=https\nhost=h\npassword=p\n')).result).toBe('ignored');
    expect((await store('protocol=https\nhost=h\nauthtype=Bearer\ncredential=c\n')).result).toBe('ignored'); // no capability
  });
});

describe('erase', () => {
  it('erases nothing on a request without protocol or host', async () => {
    const { a, store } = await setup();
    await store('protocol=https\nhost=h\nusername=u\npassword=p\n');
    expect(await eraseCredential(req('username=u\n'), [a])).toBe(0);
    expect(await a.list()).toHaveLength(1);
  });

  it('erases every matching entry of a host across stores', async () => {
    const { a, b, stores, store } = await setup();
    await store('protocol=https\nhost=h\nusername=u1\npassword=p\n', a);
    await store('protocol=https\nhost=h\nusername=u2\npassword=p\n', b);
    await store('protocol=https\nhost=other\nusername=u3\npassword=p\n', b);
    expect(await eraseCredential(req('protocol=https\nhost=h\n'), stores)).toBe(2);
    expect((await b.list()).map((e) => e.host)).toEqual(['other']);
  });
});
