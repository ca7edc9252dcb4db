// What the live test drives, route by route: each call names the status it
// means to reach, and checker.mjs validates the answer against the document.
import assert from 'node:assert/strict';

export const kPassword = 'a password of the openapi test';
const kNewPassword = 'another password of the openapi test';
// The origin the service's configuration lists (live_test.mjs).
export const kOrigin = 'http://app.example.test';
const kCookies = ['access_token_cookie', 'refresh_token_cookie', 'csrf_access_token'];
const kChange = { current_password: kPassword, new_password: kNewPassword };

// "name=value; ..." of the cookies a response sets (expired ones left out).
function cookieHeader(reply, names) {
  const jar = {};
  for (const line of reply.headers['set-cookie'] ?? []) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    if (!/Max-Age=0/i.test(line)) jar[pair.slice(0, at)] = pair.slice(at + 1);
  }
  for (const name of names) {
    assert.ok(jar[name], `no ${name} cookie set: ${reply.headers['set-cookie']}`);
  }
  return { header: names.map((name) => `${name}=${jar[name]}`).join('; '), jar };
}

async function refresh(c, token) {
  return (await c.call('POST', '/auth/refresh', { token, expect: 200 })).json;
}

async function login(c, username, password = kPassword) {
  return (await c.call('POST', '/auth/login', { json: { username, password }, expect: 200 })).json;
}

export async function driveAnonymous(c) {
  await c.call('GET', '/healthz', { expect: 200 });
  await c.call('GET', '/readyz', { expect: 200 });
  const metrics = await c.call('GET', '/metrics', { expect: 200 });
  assert.match(metrics.text, /^jwtguard_http_requests_total\{route="GET \/readyz",code="200"\} /m);
  const jwks = await c.call('GET', '/.well-known/jwks.json', { expect: 200 });
  assert.equal(jwks.json.keys.length, 1);
  await c.routing('GET', '/nowhere', 'NotFound', 404);
  await c.routing('GET', '/auth/login', 'MethodNotAllowed', 405);
  await c.routing('PUT', '/admin/users/alice', 'MethodNotAllowed', 405);
  await c.routing('GET', '/healthz', 'HeaderTooLarge', 431, { 'x-filler': 'x'.repeat(20 * 1024) });
  const preflight = await c.routing('OPTIONS', '/auth/refresh', 'CorsPreflight', 204, {
    origin: kOrigin, 'access-control-request-method': 'POST',
  });
  assert.equal(preflight.headers['access-control-allow-origin'], kOrigin);
  // Another origin gets no preflight answer: the path's 405.
  await c.routing('OPTIONS', '/auth/refresh', 'MethodNotAllowed', 405, {
    origin: 'http://attacker.example.test', 'access-control-request-method': 'POST',
  });
}

export async function driveUsers(c, state) {
  for (const username of ['alice', 'bob', 'carol']) {
    await c.call('POST', '/auth/register', {
      json: { username, password: kPassword }, expect: 201,
    });
  }
  await c.call('POST', '/auth/register', {
    json: { username: 'alice', password: kPassword }, expect: 409,
  });
  await c.call('POST', '/auth/register', {
    body: '{"username":', contentType: 'application/json', expect: 400,
  });
  await c.call('POST', '/auth/register', {
    json: { username: 'dave', password: 'short' }, expect: 400,
  });
  await c.call('POST', '/auth/register', {
    body: 'username=dave', contentType: 'text/plain', expect: 415,
  });
  await c.call('POST', '/auth/register', {
    json: { username: 'dave', password: 'x'.repeat(70 * 1024) }, expect: 413,
  });
  // The fifth registration counted from this address (409 counts): 429.
  await c.call('POST', '/auth/register', {
    json: { username: 'dave', password: kPassword }, expect: 429,
  });

  state.alice = await login(c, 'alice');
  await c.call('POST', '/auth/login', { json: { username: 'alice' }, expect: 400 });
  await c.call('POST', '/auth/login', { body: '{}', contentType: 'text/plain', expect: 415 });
  await c.call('POST', '/auth/login', {
    json: { username: 'mallory', password: 'wrong one' }, expect: 401,
  });
  await c.call('POST', '/auth/login', {
    json: { username: 'mallory', password: 'wrong one' }, expect: 401,
  });
  await c.call('POST', '/auth/login', {
    json: { username: 'mallory', password: 'wrong one' }, expect: 429,
  });
  await c.call('POST', '/auth/login', {
    body: 'x'.repeat(70 * 1024), contentType: 'application/json', expect: 413,
  });

  // A browser's login: the cookies, then the same routes by cookie.
  const browser = await c.call('POST', '/auth/login', {
    json: { username: 'alice', password: kPassword }, expect: 200,
  });
  state.cookies = cookieHeader(browser, kCookies);

  // Fresh login: by the header, by a cookie, and its errors.
  const fresh = await c.call('POST', '/auth/fresh-login', {
    token: state.alice.access_token, json: { password: kPassword }, expect: 200,
  });
  assert.ok(fresh.json.access_token);
  await c.call('POST', '/auth/fresh-login', {
    headers: { cookie: state.cookies.header, 'x-csrf-token': state.cookies.jar.csrf_access_token },
    json: { password: kPassword }, expect: 200,
  });
  await c.call('POST', '/auth/fresh-login', {
    token: state.alice.access_token, json: {}, expect: 400,
  });
  await c.call('POST', '/auth/fresh-login', {
    token: state.alice.access_token, json: { password: 'not it at all' }, expect: 401,
  });
  await c.call('POST', '/auth/fresh-login', {
    token: state.alice.refresh_token, json: { password: kPassword }, expect: 422,
  });
  await c.call('POST', '/auth/fresh-login', {
    token: state.alice.access_token, body: 'password', contentType: 'text/plain', expect: 415,
  });
  await c.call('POST', '/auth/fresh-login', {
    headers: { cookie: state.cookies.header }, json: { password: kPassword }, expect: 401,
  });

  // A password change needs a fresh token: a refreshed one is not.
  const refreshed = await refresh(c, state.alice.refresh_token);
  await c.call('POST', '/auth/password', {
    token: refreshed.access_token, json: kChange, expect: 401,
  });
  await c.call('POST', '/auth/password', {
    token: fresh.json.access_token, json: { ...kChange, new_password: 'short' }, expect: 400,
  });
  await c.call('POST', '/auth/password', {
    token: fresh.json.access_token, body: 'x', contentType: 'text/plain', expect: 415,
  });
  const changed = await c.call('POST', '/auth/password', {
    token: fresh.json.access_token, json: kChange, expect: 200,
  });
  assert.ok(changed.json.access_token);
  state.alice = changed.json;  // every other token of alice's ended
  await c.call('GET', '/auth/me', { token: refreshed.access_token, expect: 401 });

  // Deleting one's own account: carol.
  const carol = await login(c, 'carol');
  await c.call('DELETE', '/auth/account', {
    token: carol.access_token, json: { password: 'not it at all' }, expect: 401,
  });
  await c.call('DELETE', '/auth/account', { token: carol.access_token, json: {}, expect: 400 });
  await c.call('DELETE', '/auth/account', {
    token: carol.access_token, body: '', contentType: 'text/plain', expect: 415,
  });
  await c.call('DELETE', '/auth/account', {
    token: 'not.a.token', json: { password: kPassword }, expect: 422,
  });
  await c.call('DELETE', '/auth/account', {
    token: carol.access_token, json: { password: kPassword }, expect: 200,
  });
}

export async function driveTokens(c, state) {
  const { alice } = state;
  const me = await c.call('GET', '/auth/me', { token: alice.access_token, expect: 200 });
  assert.equal(me.json.sub, 'alice');
  await c.call('GET', '/auth/me', { expect: 401 });
  // CORS: the listed origin may read answers (with credentials), another may not.
  const listed = await c.call('GET', '/auth/me', {
    token: alice.access_token, headers: { origin: kOrigin }, expect: 200,
  });
  assert.equal(listed.headers['access-control-allow-origin'], kOrigin);
  assert.equal(listed.headers['access-control-allow-credentials'], 'true');
  const other = await c.call('GET', '/auth/me', {
    token: alice.access_token, headers: { origin: 'http://attacker.example.test' }, expect: 200,
  });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  await c.call('GET', '/auth/me', { headers: { authorization: 'Bearer' }, expect: 422 });
  await c.call('GET', '/auth/me', {
    headers: { authorization: `Token ${alice.access_token}` }, expect: 401,
  });

  const verified = await c.call('GET', '/auth/verify', { token: alice.access_token, expect: 200 });
  assert.equal(verified.headers['x-auth-subject'], 'alice');
  assert.equal(verified.headers['x-auth-namespace'], 'user');
  await c.call('GET', '/auth/verify', { expect: 401 });
  await c.call('GET', '/auth/verify', { token: 'a.b.c', expect: 422 });
  // A cookie, the gateway naming no method: held to the CSRF rule.
  const cookieLogin = await c.call('POST', '/auth/login', {
    json: { username: 'bob', password: kPassword }, expect: 200,
  });
  const bobCookies = cookieHeader(cookieLogin, kCookies);
  await c.call('GET', '/auth/verify', { headers: { cookie: bobCookies.header }, expect: 401 });
  await c.call('GET', '/auth/verify', {
    headers: { cookie: bobCookies.header, 'x-original-method': 'GET' }, expect: 200,
  });

  // Refresh by the header and by the cookie; reuse of a retired token.
  const second = await login(c, 'alice', kNewPassword);
  const rotated = await refresh(c, second.refresh_token);
  await c.call('POST', '/auth/refresh', { token: second.refresh_token, expect: 401 });
  await c.call('POST', '/auth/refresh', { token: rotated.access_token, expect: 422 });
  await c.call('POST', '/auth/refresh', {
    headers: { cookie: bobCookies.header, 'x-csrf-token': bobCookies.jar.csrf_access_token },
    expect: 200,
  });
  await c.call('POST', '/auth/refresh', { headers: { cookie: bobCookies.header }, expect: 401 });

  // Sessions: list, end another one, an unknown one.
  const sessions = (await c.call('GET', '/auth/sessions', {
    token: alice.access_token, expect: 200,
  })).json;
  assert.ok(sessions.sessions.length >= 1);
  await c.call('GET', '/auth/sessions', { expect: 401 });
  const third = await login(c, 'alice', kNewPassword);
  const sid = JSON.parse(Buffer.from(third.access_token.split('.')[1], 'base64url')).sid;
  await c.call('DELETE', `/auth/sessions/${sid}`, { token: alice.access_token, expect: 200 });
  await c.call('DELETE', '/auth/sessions/no-such-session', {
    token: alice.access_token, expect: 404,
  });
  await c.call('DELETE', '/auth/sessions/x', { token: third.access_token, expect: 401 });

  // RFC 7009 and RFC 7662.
  const fourth = await login(c, 'alice', kNewPassword);
  await c.call('POST', '/oauth/revoke', {
    form: { token: fourth.refresh_token, token_type_hint: 'refresh_token' }, expect: 200,
  });
  await c.call('POST', '/oauth/revoke', { form: { token: 'not a token' }, expect: 200 });
  await c.call('POST', '/oauth/revoke', { form: {}, expect: 400 });
  await c.call('POST', '/oauth/revoke', { json: { token: fourth.access_token }, expect: 400 });
  state.admin = await login(c, 'admin');
  const admin = state.admin.access_token;
  const active = await c.call('POST', '/oauth/introspect', {
    token: admin, form: { token: alice.access_token }, expect: 200,
  });
  assert.equal(active.json.active, true);
  const inactive = await c.call('POST', '/oauth/introspect', {
    token: admin, form: { token: fourth.access_token }, expect: 200,
  });
  assert.equal(inactive.json.active, false);
  await c.call('POST', '/oauth/introspect', { token: admin, form: {}, expect: 400 });
  await c.call('POST', '/oauth/introspect', {
    token: alice.access_token, form: { token: admin }, expect: 403,
  });
  await c.call('POST', '/oauth/introspect', { form: { token: admin }, expect: 401 });

  // Logouts: everywhere, then one token; a revoked token; no CSRF value.
  await c.call('POST', '/auth/logout-all', { headers: { cookie: bobCookies.header }, expect: 401 });
  await c.call('POST', '/auth/logout-all', { token: 'x.y.z', expect: 422 });
  const fifth = await login(c, 'alice', kNewPassword);
  await c.call('DELETE', '/auth/logout', { token: fifth.refresh_token, expect: 200 });
  await c.call('DELETE', '/auth/logout', { token: fifth.refresh_token, expect: 401 });
  await c.call('DELETE', '/auth/logout', { token: 'x.y', expect: 422 });
  await c.call('POST', '/auth/logout-all', { token: alice.access_token, expect: 200 });
  const sixth = await login(c, 'alice', kNewPassword);
  await c.call('DELETE', '/auth/logout', { token: sixth.access_token, expect: 200 });
  await c.call('GET', '/auth/me', { token: sixth.access_token, expect: 401 });
}

export async function driveAdmin(c, state, world) {
  const admin = state.admin.access_token;
  const alice = await login(c, 'alice', kNewPassword);
  const claims = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));

  // Revocations: by key, by token, listed, removed.
  await c.call('POST', '/admin/revocations', {
    token: admin, json: { jti: 'some-jti', reason: 'test' }, expect: 200,
  });
  const victim = await login(c, 'alice', kNewPassword);
  await c.call('POST', '/admin/revocations', {
    token: admin, json: { token: victim.refresh_token, kind: 'session' }, expect: 200,
  });
  await c.call('GET', '/auth/me', { token: victim.access_token, expect: 401 });
  await c.call('POST', '/admin/revocations', {
    token: admin, json: { user: 'nobody', namespace: 'app' }, expect: 200,
  });
  await c.call('POST', '/admin/revocations', {
    token: admin, json: { jti: 'a', sid: 'b' }, expect: 400,
  });
  await c.call('POST', '/admin/revocations', {
    token: admin, body: 'jti=a', contentType: 'application/x-www-form-urlencoded', expect: 415,
  });
  await c.call('POST', '/admin/revocations', {
    token: alice.access_token, json: { jti: 'a' }, expect: 403,
  });
  await c.call('POST', '/admin/revocations', { json: { jti: 'a' }, expect: 401 });
  const listed = await c.call('GET', '/admin/revocations?limit=50', { token: admin, expect: 200 });
  const kinds = new Set(listed.json.revocations.map((r) => r.kind));
  assert.deepEqual([...kinds].sort(), ['session', 'token', 'user']);
  await c.call('GET', '/admin/revocations?kind=everything', { token: admin, expect: 400 });
  await c.call('GET', '/admin/revocations', { expect: 401 });
  await c.call('DELETE', '/admin/revocations/some-jti', { token: admin, expect: 200 });
  await c.call('DELETE', '/admin/revocations/some-jti', { token: admin, expect: 404 });
  await c.call('DELETE', '/admin/revocations/x?kind=everything', { token: admin, expect: 400 });

  // Minted identities: a pair, refused claims, and what they may not do.
  const minted = (await c.call('POST', '/admin/tokens', {
    token: admin, json: { identity: 'app-user', claims: { scope: 'read-only' }, fresh: true },
    expect: 200,
  })).json;
  assert.equal(claims(minted.access_token).sub_ns, 'app');
  await c.call('POST', '/admin/tokens', {
    token: admin, json: { identity: 'x', claims: { sub_ns: 'user' } }, expect: 400,
  });
  await c.call('POST', '/admin/tokens', {
    token: admin, body: '[]', contentType: 'application/json', expect: 400,
  });
  await c.call('POST', '/admin/tokens', {
    token: admin, body: '{}', contentType: 'text/plain', expect: 415,
  });
  await c.call('POST', '/admin/tokens', {
    token: minted.access_token, json: { identity: 'x' }, expect: 403,
  });
  await c.call('POST', '/auth/password', {
    token: minted.access_token, json: kChange, expect: 403,
  });
  await c.call('GET', '/admin/users', { token: minted.access_token, expect: 403 });

  // Accounts.
  const users = await c.call('GET', '/admin/users?limit=2', { token: admin, expect: 200 });
  assert.equal(users.json.users.length, 2);
  const next = `/admin/users?cursor=${users.json.next_cursor}`;
  await c.call('GET', next, { token: admin, expect: 200 });
  await c.call('GET', '/admin/users?limit=0', { token: admin, expect: 400 });
  await c.call('GET', '/admin/users', { token: 'x.y.z', expect: 422 });
  await c.call('POST', '/admin/users/bob/disable', {
    token: admin, json: { reason: 'the openapi test' }, expect: 200,
  });
  await c.call('POST', '/auth/login', {
    json: { username: 'bob', password: kPassword }, expect: 403,
  });
  await c.call('POST', '/admin/users/nobody/disable', { token: admin, expect: 404 });
  await c.call('POST', '/admin/users/bob/disable', {
    token: admin, json: { reason: 7 }, expect: 400,
  });
  await c.call('POST', '/admin/users/bob/disable', {
    token: admin, body: 'x', contentType: 'text/plain', expect: 415,
  });
  await c.call('POST', '/admin/users/bob/disable', { token: alice.access_token, expect: 403 });
  await c.call('POST', '/admin/users/bob/enable', { token: admin, expect: 200 });
  await c.call('POST', '/admin/users/nobody/enable', { token: admin, expect: 404 });
  await c.call('POST', '/admin/users/bob/enable', {
    token: admin, body: '"why"', contentType: 'application/json', expect: 400,
  });
  await c.call('POST', '/admin/users/bob/enable', {
    token: admin, body: 'x', contentType: 'text/plain', expect: 415,
  });
  await c.call('POST', '/admin/users/bob/enable', { expect: 401 });

  // The takeovers need a fresh admin token: a refreshed one is 401.
  const stale = await refresh(c, state.admin.refresh_token);
  await c.call('POST', '/admin/users/bob/password', {
    token: stale.access_token, json: { new_password: kNewPassword }, expect: 401,
  });
  await c.call('POST', '/admin/users/bob/password', {
    token: admin, json: { new_password: kNewPassword }, expect: 200,
  });
  await c.call('POST', '/admin/users/nobody/password', {
    token: admin, json: { new_password: kNewPassword }, expect: 404,
  });
  await c.call('POST', '/admin/users/bob/password', {
    token: admin, json: { new_password: 'short' }, expect: 400,
  });
  await c.call('POST', '/admin/users/bob/password', {
    token: admin, body: 'x', contentType: 'text/plain', expect: 415,
  });
  await c.call('POST', '/admin/users/bob/password', {
    token: minted.access_token, json: { new_password: kNewPassword }, expect: 403,
  });
  await c.call('DELETE', '/admin/users/bob', { token: stale.access_token, expect: 401 });
  await c.call('DELETE', '/admin/users/bob', {
    token: admin, json: { reason: 'the openapi test' }, expect: 200,
  });
  await c.call('DELETE', '/admin/users/bob', { token: admin, expect: 404 });
  await c.call('DELETE', '/admin/users/bob', {
    token: admin, json: { reason: 'x'.repeat(600) }, expect: 400,
  });
  await c.call('DELETE', '/admin/users/bob', {
    token: admin, body: 'x', contentType: 'text/plain', expect: 415,
  });
  await c.call('DELETE', '/admin/users/bob', { token: alice.access_token, expect: 403 });
  await c.call('DELETE', '/admin/users/bob', { token: 'x.y.z', expect: 422 });
  const audit = await c.call('GET', '/admin/audit?limit=100', { token: admin, expect: 200 });
  assert.deepEqual([...new Set(audit.json.events.map((e) => e.action))].sort(), [
    'account.delete', 'password.change', 'password.reset', 'user.delete', 'user.disable',
    'user.enable',
  ]);
  await c.call('GET', '/admin/audit?user=%zz', { token: admin, expect: 400 });
  await c.call('GET', '/admin/audit', { token: alice.access_token, expect: 403 });

  // Status lists: the list every token above has an entry in.
  const uri = claims(alice.access_token).status.status_list.uri;
  const id = uri.slice(uri.lastIndexOf('/') + 1);
  await c.call('GET', `/statuslists/${id}`, { expect: 200 });
  const json = await c.call('GET', `/statuslists/${id}`, {
    headers: { accept: 'application/statuslist+json, application/statuslist+jwt' }, expect: 200,
  });
  assert.equal(json.json.bits, 1);
  await c.call('GET', '/statuslists/0', { expect: 404 });
  await c.call('GET', '/statuslists/999', { expect: 404 });

  // Back-channel logout from the trusted identity server, and a replay.
  const logout = world.idp.logoutToken('idp-session-1');
  await c.call('POST', '/oidc/backchannel-logout', { form: { logout_token: logout }, expect: 200 });
  await c.call('POST', '/oidc/backchannel-logout', { form: { logout_token: logout }, expect: 400 });
  await c.call('POST', '/oidc/backchannel-logout', {
    form: { logout_token: 'a.b.c' }, expect: 400,
  });
  await c.call('POST', '/oidc/backchannel-logout', { json: { logout_token: logout }, expect: 400 });
  // An identity server's token with neither jti nor sid cannot be revoked by RFC 7009.
  const bare = world.idp.accessToken({});
  const unsupported = await c.call('POST', '/oauth/revoke', { form: { token: bare }, expect: 400 });
  assert.equal(unsupported.json.error, 'unsupported_token_type');
}
