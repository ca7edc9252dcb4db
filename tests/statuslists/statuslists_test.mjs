// jwtguard's Token Status Lists as an independent implementation of the
// draft reads them: the OpenWallet Foundation's @sd-jwt/jwt-status-list
// decodes the lists three `jwtguard serve` instances sharing one Redis
// publish, and `jose` checks each list token's signature against the
// service's published keys.
//
//   node statuslists_test.mjs --jwtguard BIN --node-modules DIR
//
// DIR holds node_modules/@sd-jwt/jwt-status-list and node_modules/jose
// (CTest installs them into the build tree). Every process is stopped by its
// PID at the end, failures included; a failed run keeps its files and
// prints the logs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { startJwtguard, startRedis } from '../oidc/processes.mjs';

const { values: args } = parseArgs({
  options: { jwtguard: { type: 'string' }, 'node-modules': { type: 'string' } },
});

// The public URL the instances stand behind: what every token's status
// claim and every list token's "sub" name. The test fetches the lists from
// each instance directly.
const kBaseUrl = 'https://status.example.test';
// Generous: the stated bound is the feed's delay (milliseconds on Redis)
// plus publish_interval; the test reports what it measured.
const kConvergeTimeoutMs = 15_000;
const kPassword = 'a password of the status list test';
const kInstances = ['a', 'b', 'c'];

const world = { children: [], tokens: [], failed: false };

process.on('exit', () => {
  for (const child of world.children) child.killNow();
});

function config() {
  return `[status_list]
enabled = true
base_url = "${kBaseUrl}"
bits = 1
list_size = 4096
ttl = "60s"
publish_interval = "1s"

[keys]
key_file = "${world.keyFile}"

[users]
min_password_length = 8
`;
}

async function startInstance(name) {
  const instance = await startJwtguard({
    binary: args.jwtguard, dir: world.dir, config: config(), name, store: world.redisUrl,
  });
  world.children.push(instance.child);
  return instance;
}

async function call(instance, method, path, { token, json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const response = await fetch(`${instance.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the caller looks at the text.
  }
  return { status: response.status, text, json: parsed, headers: response.headers };
}

async function expectOk(reply, what, status = 200) {
  assert.equal(reply.status, status, `${what}: ${reply.status} ${reply.text}`);
  return reply.json;
}

// A token the test follows: its place in the lists (as the independent
// implementation reads the token's claim) and the status it must have.
function track(name, token) {
  const entry = world.sdjwt.getStatusListFromJWT(token);
  assert.equal(typeof entry.idx, 'number', `${name}: no status idx`);
  assert.ok(entry.uri.startsWith(`${kBaseUrl}/statuslists/`), `${name}: uri ${entry.uri}`);
  const tracked = { name, token, idx: entry.idx, uri: entry.uri, expected: 0 };
  world.tokens.push(tracked);
  return tracked;
}

async function login(instance, user, label) {
  const pair = await expectOk(await call(instance, 'POST', '/auth/login', {
    json: { username: user, password: kPassword },
  }), `login ${user}`);
  return {
    access: track(`${label}.access`, pair.access_token),
    refresh: track(`${label}.refresh`, pair.refresh_token),
  };
}

// The list at `uri` as `instance` publishes it, checked as a verifier
// must: the signature by the service's published keys, typ, sub; then
// decoded by @sd-jwt/jwt-status-list.
async function publishedList(instance, uri) {
  const path = new URL(uri).pathname;
  const reply = await call(instance, 'GET', path);
  assert.equal(reply.status, 200, `${instance.name} ${path}: ${reply.status} ${reply.text}`);
  assert.match(reply.headers.get('content-type'), /^application\/statuslist\+jwt/);
  const { jose } = world;
  const { payload, protectedHeader } = await jose.jwtVerify(reply.text, world.jwks[instance.name], {
    typ: 'statuslist+jwt',
  });
  assert.equal(payload.sub, uri);
  assert.equal(payload.ttl, 60);
  assert.ok(payload.exp > payload.iat, 'exp after iat');
  assert.equal(protectedHeader.alg, 'ES256');
  return world.sdjwt.getListFromStatusListJWT(reply.text);
}

// Each instance's view of every tracked token: {instance: [status...]}.
async function statusesEverywhere() {
  const views = {};
  for (const instance of world.instances) {
    const lists = new Map();
    const statuses = [];
    for (const tracked of world.tokens) {
      if (!lists.has(tracked.uri)) lists.set(tracked.uri, await publishedList(instance, tracked.uri));
      statuses.push(lists.get(tracked.uri).getStatus(tracked.idx));
    }
    views[instance.name] = statuses;
  }
  return views;
}

// Waits until every instance publishes exactly the expected statuses;
// returns how long that took.
async function converge(what) {
  const started = Date.now();
  const expected = world.tokens.map((t) => t.expected);
  let views = null;
  while (Date.now() - started < kConvergeTimeoutMs) {
    views = await statusesEverywhere();
    if (Object.values(views).every((v) => JSON.stringify(v) === JSON.stringify(expected))) {
      const took = Date.now() - started;
      console.log(`# ${what}: every instance published the expected statuses after ${took} ms`);
      return took;
    }
    await sleep(20);
  }
  const table = world.tokens.map((t, i) => `${t.name} idx ${t.idx}: expected ${t.expected}, `
    + kInstances.map((n) => `${n}=${views[n][i]}`).join(' '));
  assert.fail(`${what}: the published statuses differ after ${kConvergeTimeoutMs} ms:\n`
    + table.join('\n'));
  return null;
}

before(async () => {
  world.dir = mkdtempSync(join(tmpdir(), 'jwtguard-statuslists-'));
  const require = createRequire(join(args['node-modules'], 'package.json'));
  try {
    world.jose = require('jose');
    world.sdjwt = require('@sd-jwt/jwt-status-list');
  } catch (error) {
    throw new Error(`jose or @sd-jwt/jwt-status-list is not installed under ${args['node-modules']} `
      + `(CTest installs them: ctest -R 'statuslists|install_sd_jwt'): ${error.message}`);
  }
  world.keyFile = join(world.dir, 'signing.jwk');
  writeFileSync(world.keyFile, execFileSync(args.jwtguard,
    ['keys', 'generate', '--alg', 'ES256', '--kid', 'status-1']), { mode: 0o600 });
  const redis = await startRedis(world.dir, { persist: true });
  world.redis = redis;
  world.children.push(redis.child);
  world.redisUrl = redis.url;
  world.redisPort = Number(new URL(redis.url).port);
  world.instances = [];
  for (const name of kInstances) world.instances.push(await startInstance(name));
  world.jwks = {};
  for (const instance of world.instances) {
    const keys = await expectOk(await call(instance, 'GET', '/.well-known/jwks.json'), 'jwks');
    world.jwks[instance.name] = world.jose.createLocalJWKSet(keys);
  }
  execFileSync(args.jwtguard, ['user', 'create', 'admin', '--admin', '--password-stdin',
    '--store', world.redisUrl], { input: `${kPassword}\n` });
  for (const user of ['alice', 'bob', 'carol', 'dave', 'erin']) {
    execFileSync(args.jwtguard, ['user', 'create', user, '--password-stdin',
      '--store', world.redisUrl], { input: `${kPassword}\n` });
  }
});

after(async () => {
  for (const child of world.children.reverse()) await child.stop();
  if (world.failed) {
    for (const child of world.children) console.log(`--- ${child.name}\n${child.log()}`);
    console.log(`files kept in ${world.dir}`);
  } else if (world.dir) {
    rmSync(world.dir, { recursive: true, force: true });
  }
});

test('every revocation path reaches the lists every instance publishes', async (t) => {
  t.after(() => { world.failed ||= t.signal.aborted; });
  const [a, b, c] = world.instances;
  const admin = await login(a, 'admin', 'admin');
  // Spread over the three instances: they share one allocation.
  const alice1 = await login(a, 'alice', 'alice1');
  const alice2 = await login(b, 'alice', 'alice2');
  await login(c, 'alice', 'alice3');  // a session nothing revokes
  const bob1 = await login(a, 'bob', 'bob1');
  const bob2 = await login(b, 'bob', 'bob2');
  const carol = await login(c, 'carol', 'carol');
  await login(a, 'dave', 'dave');  // never touched
  const erin = await login(b, 'erin', 'erin');

  const places = new Set(world.tokens.map((tok) => `${tok.uri}#${tok.idx}`));
  assert.equal(places.size, world.tokens.length, 'every token has a place of its own');
  await converge('before any revocation');

  // One token (RFC 7009): that access token only, not its refresh token.
  await expectOk(await call(b, 'POST', '/oauth/revoke', {
    token: alice1.access.token, form: { token: alice1.access.token },
  }), 'oauth revoke');
  alice1.access.expected = 1;
  // A whole session: its access and refresh tokens, and the pair a refresh
  // gave before.
  const refreshed = await expectOk(await call(a, 'POST', '/auth/refresh', {
    token: alice2.refresh.token,
  }), 'refresh');
  const alice2b = {
    access: track('alice2b.access', refreshed.access_token),
    refresh: track('alice2b.refresh', refreshed.refresh_token),
  };
  await expectOk(await call(c, 'DELETE', '/auth/logout', { token: alice2b.access.token }),
    'logout');
  for (const tok of [alice2.access, alice2b.access, alice2b.refresh]) tok.expected = 1;
  // The refresh token the rotation retired is its session's too.
  alice2.refresh.expected = 1;
  // Log out everywhere: bob's tokens so far; a login after it stays valid.
  await expectOk(await call(a, 'POST', '/auth/logout-all', { token: bob1.access.token }),
    'logout-all');
  for (const tok of [bob1.access, bob1.refresh, bob2.access, bob2.refresh]) tok.expected = 1;
  await login(c, 'bob', 'bob3');  // after the cutoff: stays valid
  // Reuse detection: erin's retired refresh token presented again ends the
  // session, the pair its rotation gave included.
  const rotated = await expectOk(await call(a, 'POST', '/auth/refresh', {
    token: erin.refresh.token,
  }), 'refresh erin');
  const erin2 = {
    access: track('erin2.access', rotated.access_token),
    refresh: track('erin2.refresh', rotated.refresh_token),
  };
  const reused = await call(b, 'POST', '/auth/refresh', { token: erin.refresh.token });
  assert.equal(reused.status, 401, `reuse: ${reused.text}`);
  for (const tok of [erin.access, erin.refresh, erin2.access, erin2.refresh]) tok.expected = 1;
  // Admin: carol's access token by jti.
  const carolJti = world.jose.decodeJwt(carol.access.token).jti;
  await expectOk(await call(b, 'POST', '/admin/revocations', {
    token: admin.access.token, json: { jti: carolJti, reason: 'status list test' },
  }), 'admin revoke');
  carol.access.expected = 1;
  world.propagation = await converge('after a token, a session, a log-out-everywhere, '
    + 'reuse detection and an admin revocation');

  // Un-revoking carol's jti clears its status everywhere.
  await expectOk(await call(c, 'DELETE',
    `/admin/revocations/${encodeURIComponent(carolJti)}?kind=token`,
    { token: admin.access.token }), 'admin unrevoke');
  carol.access.expected = 0;
  await converge('after an un-revoke');
});

test('a restart of Redis and of every instance keeps the lists and never reuses an index',
  async (t) => {
    t.after(() => { world.failed ||= t.signal.aborted; });
    const before = await statusesEverywhere();
    const highest = Math.max(...world.tokens.map((tok) => tok.idx));
    for (const instance of world.instances) await instance.child.stop();
    await world.redis.child.stop();
    const redis = await startRedis(world.dir, { persist: true, port: world.redisPort });
    world.children.push(redis.child);
    world.instances = [];
    for (const name of kInstances) world.instances.push(await startInstance(`${name}-again`));
    world.jwks = Object.fromEntries(world.instances.map((i) => [i.name, world.jwks.a]));
    const after = await statusesEverywhere();
    for (const [name, statuses] of Object.entries(after)) {
      assert.deepEqual(statuses, before.a, `${name} after the restart`);
    }
    const fresh = await login(world.instances[1], 'dave', 'dave-again');
    for (const tok of [fresh.access, fresh.refresh]) {
      assert.ok(tok.uri !== world.tokens[0].uri || tok.idx > highest,
        `a new token's index ${tok.idx} was handed out before (highest ${highest})`);
    }
    await converge('after the restart');
  });
