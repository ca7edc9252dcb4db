// The three-step key rotation of docs/operations.md ("Rotating signing
// keys"), followed to the letter on three `jwtguard serve` instances that
// share one redis-server, while clients keep calling them: publish the next
// key everywhere, switch the active key, retire the old one once nothing it
// signed can be live; then the emergency removal. Each instance has its own
// copy of the JWK Set file (as separate machines would) and is reloaded with
// SIGHUP, never restarted.
//
//   node rotation_test.mjs --jwtguard BIN
//
// What it shows: tokens signed before, during and after the rotation are
// accepted on every instance exactly as long as they should be, a token
// signed by an instance that switched first is accepted by the ones that
// have not reloaded yet (the next key was published first), `keys retire`
// refuses while tokens of the key can be live, and the load running
// throughout (keep-alive clients verifying live tokens on every instance)
// sees no failed request. Every process is stopped by its PID at the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { startJwtguard, startRedis } from '../oidc/processes.mjs';

const { values: args } = parseArgs({ options: { jwtguard: { type: 'string' } } });

// Short lifetimes, so that the old key's tokens expire within the run.
const kAccessTtlS = 6;
const kRefreshTtlS = 10;
const kPassword = 'a password of the rotation test';
const kInstances = ['a', 'b', 'c'];
const kReloadTimeoutMs = 10_000;
const kLoadClients = 12;

const world = { children: [], failed: false, pool: new Map(), load: null };

process.on('exit', () => {
  for (const child of world.children) child.killNow();
});

function keys(...argv) {
  return spawnSync(args.jwtguard, ['keys', ...argv], { encoding: 'utf8' });
}

function keysOk(...argv) {
  const run = keys(...argv);
  assert.equal(run.status, 0, `jwtguard keys ${argv.join(' ')}: ${run.stderr}${run.stdout}`);
  return run.stdout;
}

function config(instance) {
  return `[keys]
jwks_file = "${join(world.dir, `${instance}.jwks.json`)}"

[tokens]
access_ttl = "${kAccessTtlS}s"
refresh_ttl = "${kRefreshTtlS}s"

[users]
min_password_length = 8
`;
}

function header(token) {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

function claims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

async function call(instance, method, path, { token, json } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json) headers['content-type'] = 'application/json';
  const response = await fetch(`${instance.url}${path}`, {
    method, headers, body: json ? JSON.stringify(json) : undefined,
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, text, json: parsed };
}

async function login(instance, user) {
  const reply = await call(instance, 'POST', '/auth/login', {
    json: { username: user, password: kPassword },
  });
  assert.equal(reply.status, 200, `login at ${instance.name}: ${reply.text}`);
  return reply.json;
}

async function reloads(instance) {
  const reply = await call(instance, 'GET', '/metrics');
  const line = reply.text.split('\n')
    .find((l) => l.startsWith('jwtguard_config_reloads_total{outcome="applied"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function publishedKids(instance) {
  const reply = await call(instance, 'GET', '/.well-known/jwks.json');
  assert.equal(reply.status, 200);
  for (const key of reply.json.keys) {
    assert.equal(key.d, undefined, 'a private member was published');
  }
  return reply.json.keys.map((key) => key.kid).sort();
}

// The set file copied to `instance`, then SIGHUP; resolves once the reload
// was applied (the metric counts it), as an operator's
// `systemctl reload jwtguard` does.
async function deploy(instance) {
  copyFileSync(world.setFile, join(world.dir, `${instance.name}.jwks.json`));
  const before = await reloads(instance);
  instance.child.signal('SIGHUP');
  const deadline = Date.now() + kReloadTimeoutMs;
  while (await reloads(instance) === before) {
    if (Date.now() > deadline) {
      throw new Error(`${instance.name} did not reload within ${kReloadTimeoutMs} ms:\n`
        + instance.child.log());
    }
    await sleep(20);
  }
}

async function expectVerify(instance, token, status, what) {
  const reply = await call(instance, 'GET', '/auth/verify', { token });
  assert.equal(reply.status, status, `${what} at ${instance.name}: ${reply.status} ${reply.text}`);
  return reply;
}

// Tokens the load verifies, by name, each with the time until which it
// must be accepted (its exp less a margin for the clock's second).
function addToPool(name, token) {
  world.pool.set(name, { token, until: (claims(token).exp - 1) * 1000 });
}

// Keep-alive clients verifying every live pooled token on every instance,
// round and round, until stopped; any answer but 200 is a failure.
function startLoad() {
  const load = { running: true, requests: 0, failures: [] };
  const client = async (n) => {
    while (load.running) {
      const live = [...world.pool.entries()].filter(([, t]) => Date.now() < t.until);
      if (live.length === 0) {
        await sleep(5);
        continue;
      }
      const [name, { token, until }] = live[(n + load.requests) % live.length];
      const instance = world.instances[(n + load.requests) % world.instances.length];
      try {
        const reply = await fetch(`${instance.url}/auth/verify`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await reply.arrayBuffer();
        // An answer for a token that expired while on its way is no failure.
        if (reply.status !== 200 && Date.now() < until) {
          load.failures.push(`${name} at ${instance.name}: ${reply.status}`);
        }
      } catch (error) {
        load.failures.push(`${name} at ${instance.name}: ${error.message}`);
      }
      load.requests += 1;
    }
  };
  load.done = Promise.all(Array.from({ length: kLoadClients }, (_, n) => client(n)));
  return load;
}

// An ES256 JWS signed with a private JWK, as a holder of the key could make.
function signWith(jwk, payload) {
  const head = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: jwk.kid }))
    .toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const signature = cryptoSign('sha256', Buffer.from(`${head}.${body}`), {
    key, dsaEncoding: 'ieee-p1363',
  });
  return `${head}.${body}.${signature.toString('base64url')}`;
}

function privateKey(kid) {
  const set = JSON.parse(readFileSync(world.setFile, 'utf8'));
  return set.keys.find((key) => key.kid === kid);
}

before(async () => {
  assert.ok(args.jwtguard, '--jwtguard BIN is required');
  world.dir = mkdtempSync(join(tmpdir(), 'jwtguard-rotation-'));
  world.setFile = join(world.dir, 'signing.jwks.json');
  world.config = join(world.dir, 'lifetimes.toml');
  execFileSync('sh', ['-c', `printf '[tokens]\\naccess_ttl = "${kAccessTtlS}s"\\n`
    + `refresh_ttl = "${kRefreshTtlS}s"\\n' > '${world.config}'`]);
  const redis = await startRedis(world.dir);
  world.children.push(redis.child);
  keysOk('add', world.setFile, '--alg', 'ES256', '--kid', 'k1');
  world.instances = [];
  for (const name of kInstances) {
    copyFileSync(world.setFile, join(world.dir, `${name}.jwks.json`));
    const instance = await startJwtguard({
      binary: args.jwtguard, dir: world.dir, config: config(name), name, store: redis.url,
    });
    world.children.push(instance.child);
    world.instances.push(instance);
  }
  const [a] = world.instances;
  for (const user of ['ann', 'bob', 'cid']) {
    const reply = await call(a, 'POST', '/auth/register', {
      json: { username: user, password: kPassword },
    });
    assert.equal(reply.status, 201, `register ${user}: ${reply.text}`);
  }
  world.load = startLoad();
});

after(async () => {
  if (world.load) {
    world.load.running = false;
    await world.load.done;
  }
  for (const child of world.children.reverse()) await child.stop();
  if (world.failed) {
    for (const instance of world.instances ?? []) {
      console.log(`--- ${instance.name}.log\n${instance.child.log()}`);
    }
    console.log(`files kept in ${world.dir}`);
  } else {
    rmSync(world.dir, { recursive: true, force: true });
  }
});

function step(name, body) {
  test(name, async () => {
    try {
      await body();
    } catch (error) {
      world.failed = true;
      throw error;
    }
  });
}

step('before the rotation: every instance signs with k1', async () => {
  for (const instance of world.instances) {
    const pair = await login(instance, 'ann');
    assert.equal(header(pair.access_token).kid, 'k1');
    addToPool(`k1.${instance.name}`, pair.access_token);
  }
  for (const instance of world.instances) assert.deepEqual(await publishedKids(instance), ['k1']);
});

step('step 1: k2 is published everywhere before anything is signed with it', async () => {
  keysOk('add', world.setFile, '--alg', 'ES256', '--kid', 'k2');
  // Switching now would sign with a key the other instances cannot check.
  const early = keys('activate', world.setFile, '--kid', 'k2');
  assert.notEqual(early.status, 0, 'activate right after add must be refused');
  for (const instance of world.instances) {
    await deploy(instance);
    assert.deepEqual(await publishedKids(instance), ['k1', 'k2']);
    const pair = await login(instance, 'ann');
    assert.equal(header(pair.access_token).kid, 'k1', `${instance.name} signs with k1 still`);
  }
  // The pair whose k1 tokens step 2 and 3 follow to their end.
  world.oldPair = await login(world.instances[0], 'bob');
  addToPool('k1.bob', world.oldPair.access_token);
});

step('step 2: k2 signs; instances not yet reloaded accept its tokens', async () => {
  keysOk('activate', world.setFile, '--kid', 'k2', '--min-published', '0s');
  const [a, b, c] = world.instances;
  await deploy(a);
  const early = await login(a, 'cid');
  assert.equal(header(early.access_token).kid, 'k2');
  // b and c still sign with k1 but know k2 from step 1.
  await expectVerify(b, early.access_token, 200, 'a k2 token before b reloads');
  await expectVerify(c, early.access_token, 200, 'a k2 token before c reloads');
  addToPool('k2.early', early.access_token);
  assert.equal(header((await login(b, 'ann')).access_token).kid, 'k1');
  await deploy(b);
  await deploy(c);
  for (const instance of world.instances) {
    const pair = await login(instance, 'ann');
    assert.equal(header(pair.access_token).kid, 'k2', `${instance.name} signs with k2`);
    addToPool(`k2.${instance.name}`, pair.access_token);
    // Tokens k1 signed before the switch are still accepted while live.
    await expectVerify(instance, world.oldPair.access_token, 200, 'a live k1 token');
  }
  // A refresh token k1 signed refreshes into a k2 pair on another instance.
  const refreshed = await call(c, 'POST', '/auth/refresh', { token: world.oldPair.refresh_token });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.equal(header(refreshed.json.access_token).kid, 'k2');
});

step('step 3: k1 is retired only once nothing it signed can be live', async () => {
  world.k1Key = privateKey('k1');
  const early = keys('retire', world.setFile, '--kid', 'k1', '--config', world.config);
  assert.notEqual(early.status, 0, 'retiring k1 while its refresh tokens live must be refused');
  assert.match(early.stderr, /accepted until .*--force/);
  const active = keys('retire', world.setFile, '--kid', 'k2', '--config', world.config);
  assert.notEqual(active.status, 0, 'the active key is never retired');
  // The k1 access tokens stop being accepted at their exp, not before.
  const exp = claims(world.oldPair.access_token).exp * 1000;
  await sleep(Math.max(0, exp - Date.now() + 1100));
  for (const instance of world.instances) {
    const reply = await expectVerify(instance, world.oldPair.access_token, 401, 'an expired k1 token');
    assert.match(reply.text, /expired/i);
  }
  const deadline = Date.now() + (kRefreshTtlS + 5) * 1000;
  let retired = keys('retire', world.setFile, '--kid', 'k1', '--config', world.config);
  while (retired.status !== 0 && Date.now() < deadline) {
    await sleep(250);
    retired = keys('retire', world.setFile, '--kid', 'k1', '--config', world.config);
  }
  assert.equal(retired.status, 0, `retire k1 once safe: ${retired.stderr}`);
  for (const instance of world.instances) {
    await deploy(instance);
    assert.deepEqual(await publishedKids(instance), ['k2']);
  }
});

step('after the rotation: k2 tokens live on, anything k1 signs is refused', async () => {
  for (const instance of world.instances) {
    const pair = await login(instance, 'bob');
    assert.equal(header(pair.access_token).kid, 'k2');
    await expectVerify(instance, pair.access_token, 200, 'a new k2 token');
    // Whoever still holds k1 cannot make a token any instance accepts.
    const signedByK1 = signWith(world.k1Key, claims(pair.access_token));
    const reply = await expectVerify(instance, signedByK1, 422, 'a new token signed with k1');
    assert.match(reply.text, /Unknown key id/);
  }
});

step('emergency: removing the active key at once refuses all it signed', async () => {
  keysOk('add', world.setFile, '--alg', 'ES256', '--kid', 'k3');
  keysOk('activate', world.setFile, '--kid', 'k3', '--force');
  const victim = await login(world.instances[0], 'cid');
  assert.equal(header(victim.access_token).kid, 'k2');
  // The load stops verifying k2 tokens: they are about to be refused.
  for (const [name, entry] of world.pool) {
    if (header(entry.token).kid === 'k2') world.pool.delete(name);
  }
  const refused = keys('retire', world.setFile, '--kid', 'k2', '--config', world.config);
  assert.notEqual(refused.status, 0, 'k2 signed tokens that are still live');
  keysOk('retire', world.setFile, '--kid', 'k2', '--force');
  for (const instance of world.instances) await deploy(instance);
  // The same claims signed by the key that stays: accepted, so the refusal
  // below is the removed key's and nothing else's.
  const control = signWith(privateKey('k3'), claims(victim.access_token));
  for (const instance of world.instances) {
    assert.deepEqual(await publishedKids(instance), ['k3']);
    // 422, as for any token no configured key checks (Flask-JWT-Extended's
    // invalid-token answer), naming the cause.
    const refusedReply = await expectVerify(instance, victim.access_token, 422,
      'a live k2 token after removal');
    assert.match(refusedReply.text, /Unknown key id/);
    await expectVerify(instance, control, 200, 'the same claims signed by k3');
    const pair = await login(instance, 'ann');
    assert.equal(header(pair.access_token).kid, 'k3');
    addToPool(`k3.${instance.name}`, pair.access_token);
  }
});

step('the load saw no failed request', async () => {
  await sleep(300);
  world.load.running = false;
  await world.load.done;
  console.log(`load: ${world.load.requests} verifications across ${world.instances.length} `
    + `instances during the rotation, ${world.load.failures.length} failed`);
  assert.ok(world.load.requests > 1000, `only ${world.load.requests} requests ran`);
  assert.deepEqual(world.load.failures, []);
});
