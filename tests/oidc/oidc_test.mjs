// jwtguard beside a real identity server: panva's oidc-provider (a certified
// OpenID Provider) issues JWT access tokens for https://api.test and sends
// back-channel logout tokens; two `jwtguard serve` instances sharing a
// Redis store trust it as an [[issuers]] entry.
//
//   node oidc_test.mjs --jwtguard BIN --node-modules DIR
//
// DIR holds node_modules/oidc-provider and node_modules/jose (CTest installs
// them into the build tree). Every process is stopped by its PID at the end,
// failures included; a failed run keeps its files and prints the logs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { freePort, startJwtguard, startRedis, waitReady } from './processes.mjs';
import {
  CLIENT_ID, CookieJar, OTHER_RESOURCE, RESOURCE, importInstalled, login, logout, registerClient,
  startProvider,
} from './provider.mjs';
import {
  COOLDOWN_S, ISSUER_NAME, LOGOUT_EVENT, claims, jwtguardConfig, metrics, post, verify,
} from './oidc_helpers.mjs';

const { values: args } = parseArgs({
  options: { jwtguard: { type: 'string' }, 'node-modules': { type: 'string' } },
});

const kScenarioTimeoutMs = 30_000;
const kSecret = 'oidc-test-secret-of-more-than-32-bytes';
const kFloodRequests = 200;
const kPropagationLimitMs = 10_000;

const world = { children: [], events: { jwksRequests: 0, backchannel: [] } };

process.on('exit', () => {
  for (const child of world.children) child.killNow();
});

// An RS256 key pair as the provider's private JWK (the test keeps it to
// sign tokens of its own).
async function rsaKey(kid) {
  const { privateKey } = await world.jose.generateKeyPair('RS256', { extractable: true });
  return { ...(await world.jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

async function signWith(jwk, payload, header) {
  const key = await world.jose.importJWK(jwk, 'RS256');
  return new world.jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', ...header }).sign(key);
}

async function startOp(privateJwks) {
  const op = await startProvider({
    oidcProvider: world.oidcProvider, port: world.opPort, privateJwks, events: world.events,
  });
  await registerClient(op, `${world.a.url}/oidc/backchannel-logout`);
  return op;
}

before(async () => {
  try {
    await startEverything();
  } catch (error) {
    world.failed = true;
    throw error;
  }
});

async function startEverything() {
  if (!args.jwtguard || !existsSync(args.jwtguard)) {
    throw new Error(`the jwtguard binary is missing at ${args.jwtguard}: build it `
      + '(cmake --build BUILD_DIR --target jwtguard_cli)');
  }
  world.jose = await importInstalled(args['node-modules'], 'jose');
  world.oidcProvider = await importInstalled(args['node-modules'], 'oidc-provider');
  world.dir = mkdtempSync(join(tmpdir(), 'jwtguard-oidc-'));
  world.keys = [await rsaKey('key-1'), await rsaKey('key-2')];
  const redis = await startRedis(world.dir);
  world.children.push(redis.child);
  world.opPort = await freePort();
  const config = jwtguardConfig(`http://127.0.0.1:${world.opPort}`);
  for (const name of ['a', 'b']) {
    world[name] = await startJwtguard({
      binary: args.jwtguard, dir: world.dir, name: `jwtguard-${name}`, config, store: redis.url,
      secret: kSecret,
    });
    world.children.push(world[name].child);
  }
  // The provider is not listening yet: no instance has a key set.
  world.readyzBeforeProvider = await Promise.all([world.a, world.b].map(
    async (instance) => (await fetch(`${instance.url}/readyz`)).status));
  world.op = await startOp([world.keys[0]]);
  await waitReady(world.a);
  await waitReady(world.b);
  // Not trusted by jwtguard: another issuer whose tokens look just the same.
  world.stranger = await startProvider({
    oidcProvider: world.oidcProvider, port: await freePort(), privateJwks: [await rsaKey('key-1')],
    events: { jwksRequests: 0, backchannel: [] },
  });
  await registerClient(world.stranger, `${world.a.url}/oidc/backchannel-logout`);
}

after(async () => {
  await world.op?.stop();
  await world.stranger?.stop();
  for (const child of world.children.reverse()) await child.stop();
  if (!world.dir) return;
  if (!world.failed) {
    rmSync(world.dir, { recursive: true, force: true });
    return;
  }
  for (const instance of [world.a, world.b]) {
    if (!instance) continue;
    const tail = instance.child.log().split('\n').slice(-60).join('\n');
    console.error(`the end of ${instance.name}'s log:\n${tail}`);
  }
  console.error(`the test's files (configurations, logs) are kept in ${world.dir}`);
});

const scenario = (name, body) => test(name, { timeout: kScenarioTimeoutMs }, async (t) => {
  try {
    await body(t);
  } catch (error) {
    world.failed = true;
    throw error;
  }
});

async function assertPasses(instance, token, what) {
  const reply = await verify(instance, token);
  assert.equal(reply.status, 200, `${what} on ${instance.name}: ${reply.status} ${reply.body}`);
  return reply;
}

// A token that cannot be used (bad signature, unknown issuer or kid, wrong
// audience) is 422 in jwtguard's error table (docs/service.md); one that
// could be used but is revoked is 401.
const kUnusable = 422;
const kRevoked = 401;

async function assertRefused(instance, token, what, status = kUnusable) {
  const reply = await verify(instance, token);
  assert.equal(reply.status, status, `${what} on ${instance.name}: ${reply.status} ${reply.body}`);
}

async function assertRevoked(instance, token, what) {
  await assertRefused(instance, token, what, kRevoked);
}

scenario('jwtguard is not ready until the provider\'s key set is loaded', async () => {
  assert.deepEqual(world.readyzBeforeProvider, [503, 503], '/readyz before the provider listened');
  for (const instance of [world.a, world.b]) {
    assert.equal((await fetch(`${instance.url}/readyz`)).status, 200, `${instance.name} /readyz`);
  }
});

scenario('a token of the provider passes /auth/verify as its subject in the issuer namespace',
  async () => {
    world.alice = new CookieJar();
    world.aliceToken = await login(world.op, world.alice, { accountId: 'alice' });
    const { sid, jti } = claims(world.aliceToken);
    assert.ok(sid, 'the provider\'s access token carries the session id');
    for (const instance of [world.a, world.b]) {
      const { headers } = await assertPasses(instance, world.aliceToken, 'alice\'s token');
      assert.equal(headers.get('x-auth-subject'), 'alice');
      assert.equal(headers.get('x-auth-namespace'), ISSUER_NAME);
      assert.equal(headers.get('x-auth-session'), sid);
      assert.equal(headers.get('x-auth-jti'), jti);
      assert.equal(headers.get('x-auth-issuer'), world.op.issuer);
    }
  });

scenario('tokens for another audience, of another issuer or signed by an unpublished key are '
  + 'refused', async () => {
  const otherAudience = await login(world.op, world.alice, {
    accountId: 'alice', resource: OTHER_RESOURCE,
  });
  assert.equal(claims(otherAudience).aud, OTHER_RESOURCE);
  await assertRefused(world.a, otherAudience, 'a token for another audience');

  const strangers = await login(world.stranger, new CookieJar(), { accountId: 'alice' });
  assert.equal(claims(strangers).iss, world.stranger.issuer);
  await assertRefused(world.a, strangers, 'a token of an issuer not trusted');

  // The provider's own claims and kid, signed by a key it never published.
  const impostor = await signWith(await rsaKey('key-1'), claims(world.aliceToken),
    { kid: 'key-1', typ: 'at+jwt' });
  await assertRefused(world.a, impostor, 'a token signed by a key not in the JWKS');
  await assertPasses(world.a, world.aliceToken, 'alice\'s token after the refusals');
});

scenario('a flood of made-up kids fetches the JWKS at most once per cooldown', async () => {
  // Past the cooldown of any fetch so far: the first unknown kid may fetch.
  await sleep(COOLDOWN_S * 1000 + 200);
  const fetchesBefore = world.events.jwksRequests;
  const started = Date.now();
  const payload = claims(world.aliceToken);
  const statuses = [];
  for (let batch = 0; batch < kFloodRequests / 20; ++batch) {
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => signWith(
      world.keys[0], payload, { kid: `made-up-${batch}-${i}`, typ: 'at+jwt' })));
    const replies = await Promise.all(tokens.map((token) => verify(world.a, token)));
    statuses.push(...replies.map((reply) => reply.status));
  }
  const elapsedS = (Date.now() - started) / 1000;
  const fetches = world.events.jwksRequests - fetchesBefore;
  console.log(`flood: ${kFloodRequests} made-up kids in ${elapsedS.toFixed(2)} s caused `
    + `${fetches} JWKS fetches (cooldown ${COOLDOWN_S} s)\n${await metrics(world.a, 'jwks')}`);
  assert.deepEqual([...new Set(statuses)], [kUnusable], 'every made-up kid is refused');
  assert.ok(fetches >= 1, 'an unknown kid after the cooldown fetches the JWKS again');
  assert.ok(fetches <= 1 + Math.floor(elapsedS / COOLDOWN_S),
    `${fetches} JWKS fetches in ${elapsedS} s exceed one per ${COOLDOWN_S} s cooldown`);
});

scenario('after the provider rotates its keys, tokens of the new and the old key pass',
  async () => {
    await world.op.stop();
    world.op = await startOp([world.keys[1], world.keys[0]]);
    const rotated = await login(world.op, new CookieJar(), { accountId: 'alice' });
    assert.equal(world.jose.decodeProtectedHeader(rotated).kid, 'key-2');
    for (const instance of [world.a, world.b]) {
      // The flood's cooldown may still hold back the refetch of the new kid.
      const deadline = Date.now() + (COOLDOWN_S + 3) * 1000;
      let reply = await verify(instance, rotated);
      while (reply.status !== 200 && Date.now() < deadline) {
        await sleep(100);
        reply = await verify(instance, rotated);
      }
      assert.equal(reply.status, 200, `a token of the new key on ${instance.name}: ${reply.body}`);
      await assertPasses(instance, world.aliceToken, 'a token of the old, still published key');
    }
  });

// A logout token as the provider would sign it, for `session` (claims of
// an access token), changed by `change`.
function logoutClaims(session, change = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: world.op.issuer, aud: CLIENT_ID, iat: now, exp: now + 120,
    jti: `logout-${Math.random().toString(36).slice(2)}`, sub: session.sub, sid: session.sid,
    events: { [LOGOUT_EVENT]: {} }, ...change,
  };
}

function unsigned(payload) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'logout+jwt' })}.${part(payload)}.`;
}

async function postLogout(token) {
  return post(world.a, '/oidc/backchannel-logout', new URLSearchParams({ logout_token: token }));
}

scenario('forged logout tokens are refused with 400 and revoke nothing; a replay is refused',
  async () => {
    const token = await login(world.op, new CookieJar(), { accountId: 'bob' });
    const session = claims(token);
    const signed = (payload) => signWith(world.keys[1], payload, { kid: 'key-2', typ: 'logout+jwt' });
    const { events, ...eventless } = logoutClaims(session);
    assert.ok(events);
    const forged = {
      'unsigned (alg none)': unsigned(logoutClaims(session)),
      'carrying a nonce': await signed(logoutClaims(session, { nonce: 'n-0S6_WzA2Mj' })),
      'without the events claim': await signed(eventless),
      'for another audience': await signed(logoutClaims(session, { aud: 'another-client' })),
      'signed by a key not in the JWKS': await signWith(await rsaKey('key-2'),
        logoutClaims(session), { kid: 'key-2', typ: 'logout+jwt' }),
    };
    for (const [what, logoutToken] of Object.entries(forged)) {
      const reply = await postLogout(logoutToken);
      assert.equal(reply.status, 400, `a logout token ${what}: ${reply.status} ${reply.body}`);
      assert.equal(reply.json?.error, 'invalid_request', `a logout token ${what}: ${reply.body}`);
      assert.equal(reply.headers.get('cache-control'), 'no-store');
      await assertPasses(world.a, token, `bob's token after a logout token ${what}`);
    }

    const genuine = await signed(logoutClaims(session));
    const first = await postLogout(genuine);
    assert.equal(first.status, 200, `a valid logout token: ${first.body}`);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    await assertRevoked(world.a, token, 'bob\'s token after his session\'s logout');
    const replay = await postLogout(genuine);
    assert.equal(replay.status, 400, `the replayed logout token: ${replay.body}`);
    assert.equal(replay.json?.error, 'invalid_request');
  });

scenario('logging out at the provider ends that session on every instance, and only it',
  async () => {
    const [first, second] = [new CookieJar(), new CookieJar()];
    const ended = await login(world.op, first, { accountId: 'carol' });
    const kept = await login(world.op, second, { accountId: 'carol' });
    const sid = claims(ended).sid;
    assert.notEqual(sid, claims(kept).sid, 'two logins are two provider sessions');
    for (const instance of [world.a, world.b]) {
      await assertPasses(instance, ended, 'the first session\'s token before the logout');
    }
    await logout(world.op, first);
    const delivered = world.events.backchannel.find((event) => event.sid === sid);
    assert.ok(delivered?.ok, `the back-channel logout reached jwtguard: ${JSON.stringify(delivered)}`);
    await assertRevoked(world.a, ended, 'the logged-out session\'s token');
    let refusedOnB = null;
    let last = null;
    while (refusedOnB === null && Date.now() < delivered.at + kPropagationLimitMs) {
      last = await verify(world.b, ended);
      if (last.status === kRevoked) refusedOnB = Date.now();
      else await sleep(10);
    }
    assert.ok(refusedOnB, `the logout did not reach ${world.b.name} within `
      + `${kPropagationLimitMs} ms (last answer: ${last?.status} ${last?.body})`);
    console.log(`back-channel logout: answered by ${world.a.name}, refused on ${world.b.name} `
      + `${refusedOnB - delivered.at} ms later`);
    for (const instance of [world.a, world.b]) {
      await assertPasses(instance, kept, 'carol\'s other session');
    }
  });

scenario('with the provider stopped, known tokens still pass and jwtguard stays ready',
  async () => {
    await world.op.stop();
    world.op = null;
    // A refetch that fails: past the cooldown, an unknown kid tries the provider.
    await sleep(COOLDOWN_S * 1000 + 200);
    const madeUp = await signWith(world.keys[0], claims(world.aliceToken),
      { kid: 'made-up-while-down', typ: 'at+jwt' });
    await assertRefused(world.a, madeUp, 'a made-up kid while the provider is down');
    for (const instance of [world.a, world.b]) {
      await assertPasses(instance, world.aliceToken, 'alice\'s token while the provider is down');
      const ready = await fetch(`${instance.url}/readyz`);
      assert.equal(ready.status, 200, `${instance.name} /readyz: ${await ready.text()}`);
    }
    console.log(`with the provider down:\n${await metrics(world.a, 'jwks')}`);
  });
