// jwtguard's browser sessions in a real browser: headless Chromium, driven by
// puppeteer-core, loads a page that nginx serves from the same origin as
// jwtguard's /auth/ routes (docs/gateways.md's block, over HTTPS so that
// Secure cookies are real), and a page on another site (https://localhost,
// not https://127.0.0.1) that tries to act with the application's cookies.
//
//   node browser_test.mjs --jwtguard BIN --nginx BIN --chromium BIN \
//     --gateways-doc docs/gateways.md --node-modules DIR
//
// DIR holds node_modules/puppeteer-core (CTest installs it into the build
// tree). Every process is stopped by its PID at the end, failures included.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { makeCertificate, startJwtguard, startNginx } from './servers.mjs';
import {
  ACCESS_TTL, REFRESH_ACCESS_WITHIN, REFRESH_REUSE_INTERVAL, claims, freshUser, jwtguardConfig,
} from './session_helpers.mjs';

const { values: args } = parseArgs({
  options: {
    jwtguard: { type: 'string' },
    nginx: { type: 'string', default: '/usr/sbin/nginx' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    'gateways-doc': { type: 'string' },
    'node-modules': { type: 'string' },
  },
});

const kScenarioTimeoutMs = 30_000;
const kSecret = 'browser-test-secret-of-more-than-32-bytes';
const kTokenCookies = ['access_token_cookie', 'refresh_token_cookie'];
const kCsrfCookies = ['csrf_access_token', 'csrf_refresh_token'];
const kAllCookies = [...kTokenCookies, ...kCsrfCookies];

const world = { children: [] };

// Whatever happens, no process of this test outlives it.
process.on('exit', () => {
  for (const child of world.children) child.killNow();
});

function requireFile(path, what, remedy = 'install it with `make deps`') {
  if (!path || !existsSync(path)) throw new Error(`${what} not found at ${path}: ${remedy}`);
}

async function loadPuppeteer() {
  const require = createRequire(join(args['node-modules'], 'package.json'));
  let entry;
  try {
    entry = require.resolve('puppeteer-core');
  } catch {
    throw new Error(`puppeteer-core is not installed under ${args['node-modules']} `
      + '(CTest installs it: ctest -R browser)');
  }
  const module = await import(pathToFileURL(entry).href);
  return module.default?.launch ? module.default : module.default.default;
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
  requireFile(args.chromium, 'Chromium');
  requireFile(args.nginx, 'nginx');
  requireFile(args.jwtguard, 'the jwtguard binary',
    'build it (cmake --build BUILD_DIR --target jwtguard_cli)');
  world.dir = mkdtempSync(join(tmpdir(), 'jwtguard-browser-'));
  const tls = makeCertificate(world.dir);
  const jwtguard = await startJwtguard({
    binary: args.jwtguard, dir: world.dir, config: jwtguardConfig(), secret: kSecret,
  });
  world.children.push(jwtguard.child);
  world.jwtguard = jwtguard;
  const nginx = await startNginx({
    binary: args.nginx,
    dir: world.dir,
    pages: dirname(fileURLToPath(import.meta.url)),
    tls,
    jwtguardPort: jwtguard.port,
    gatewaysDoc: args['gateways-doc'],
  });
  world.children.push(nginx.child);
  world.app = `https://127.0.0.1:${nginx.ports.app}`;
  world.attacker = `https://localhost:${nginx.ports.attacker}`;
  const puppeteer = await loadPuppeteer();
  world.browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: true,
    args: [
      // Chromium refuses to start its sandbox as root (CI runs as root);
      // the pages it loads are this test's own.
      ...(process.getuid() === 0 ? ['--no-sandbox'] : []),
      // Trust the certificate made for this run, and no other bad one.
      `--ignore-certificate-errors-spki-list=${tls.spki}`,
    ],
  });
}

after(async () => {
  await world.browser?.close();
  for (const child of world.children.reverse()) await child.stop();
  if (!world.dir) return;
  if (!world.failed) {
    rmSync(world.dir, { recursive: true, force: true });
    return;
  }
  if (world.jwtguard) {
    const tail = world.jwtguard.child.log().split('\n').slice(-80).join('\n');
    console.error(`the end of jwtguard's log:\n${tail}`);
  }
  console.error(`the test's files (nginx.conf, logs) are kept in ${world.dir}`);
});

// jwtguard itself, without nginx or a browser: what a script elsewhere could
// do with a token it got hold of.
async function direct(method, path, { bearer, body } = {}) {
  const headers = {};
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`http://127.0.0.1:${world.jwtguard.port}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, json, text };
}

async function register() {
  const user = freshUser();
  const reply = await direct('POST', '/auth/register', { body: user });
  assert.equal(reply.status, 201, `register: ${reply.text}`);
  return user;
}

// A page of the application in a fresh browser context (its own cookie jar),
// logged in as a new user from the page itself.
async function loggedInPage(t) {
  const user = await register();
  const context = await world.browser.createBrowserContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${world.app}/`);
  const login = await call(page, 'POST', '/auth/login', { body: user });
  assert.equal(login.status, 200, `login: ${login.text}`);
  return { user, context, page };
}

function call(page, method, path, options = {}) {
  return page.evaluate((m, p, o) => window.app.call(m, p, o), method, path, options);
}

// The application's cookies as the browser holds them, by name.
async function jar(page) {
  const cookies = await page.cookies(`${world.app}/`, `${world.app}/auth/refresh`);
  return Object.fromEntries(cookies.map((cookie) => [cookie.name, cookie]));
}

async function values(page) {
  const cookies = await jar(page);
  return Object.fromEntries(kAllCookies.map((name) => [name, cookies[name]?.value]));
}

async function sessions(page) {
  const reply = await call(page, 'GET', '/auth/sessions');
  assert.equal(reply.status, 200, `sessions: ${reply.text}`);
  return reply.json.sessions;
}

// How long until `token` is inside the implicit refresh window, with a
// margin for the second granularity of exp.
function inWindowMs(token) {
  const ms = (claims(token).exp - REFRESH_ACCESS_WITHIN + 1.2) * 1000 - Date.now();
  assert.ok(ms < ACCESS_TTL * 1000);
  return Math.max(0, ms);
}

// A failed scenario keeps the test's files and shows the service's log.
const scenario = (name, body) => test(name, { timeout: kScenarioTimeoutMs }, async (t) => {
  try {
    await body(t);
  } catch (error) {
    world.failed = true;
    throw error;
  }
});

scenario('login sets HttpOnly token cookies and readable CSRF cookies', async (t) => {
  const { page } = await loggedInPage(t);
  const cookies = await jar(page);
  for (const name of kAllCookies) assert.ok(cookies[name], `no ${name} after login`);
  for (const name of kTokenCookies) {
    assert.equal(cookies[name].httpOnly, true, `${name} is not HttpOnly`);
  }
  for (const name of kCsrfCookies) {
    assert.equal(cookies[name].httpOnly, false, `${name} is HttpOnly: the page cannot read it`);
  }
  for (const name of kAllCookies) {
    assert.equal(cookies[name].secure, true, `${name} is not Secure`);
    assert.equal(cookies[name].sameSite, 'Lax', `${name} is not SameSite=Lax`);
  }
  const script = await page.evaluate(() => document.cookie);
  for (const name of kTokenCookies) {
    assert.ok(!script.includes(`${name}=`), `page script reads ${name}: ${script}`);
    assert.ok(!script.includes(cookies[name].value), `page script reads ${name}'s value`);
  }
  const seen = await page.evaluate(() => [app.cookie('csrf_access_token'),
    app.cookie('csrf_refresh_token')]);
  assert.deepEqual(seen, [cookies.csrf_access_token.value, cookies.csrf_refresh_token.value]);
  // Each CSRF cookie is the csrf claim of its token: 128 random bits at least.
  assert.equal(claims(cookies.access_token_cookie.value).csrf, cookies.csrf_access_token.value);
  assert.equal(claims(cookies.refresh_token_cookie.value).csrf, cookies.csrf_refresh_token.value);
  assert.ok(Buffer.from(cookies.csrf_access_token.value, 'base64url').length >= 16);
  // One value per login: whichever token cookie a request carries (the
  // refresh one alone, once the access cookie expired), the header matches.
  assert.equal(cookies.csrf_access_token.value, cookies.csrf_refresh_token.value);
});

scenario('/auth/me works by the access cookie alone', async (t) => {
  const { user, page } = await loggedInPage(t);
  const me = await call(page, 'GET', '/auth/me');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.sub, user.username);
  // The same page without the cookies is a stranger.
  await page.deleteCookie(...(await page.cookies(`${world.app}/`)));
  const anonymous = await call(page, 'GET', '/auth/me');
  assert.equal(anonymous.status, 401, anonymous.text);
  assert.match(anonymous.json.msg, /^Missing JWT in headers or cookies/);
});

scenario('a state change without the CSRF value, or with a wrong one, changes nothing',
  async (t) => {
    const { user, page } = await loggedInPage(t);
    const other = await direct('POST', '/auth/login', { body: user });
    assert.equal(other.status, 200, other.text);
    const listed = await sessions(page);
    assert.equal(listed.length, 2);
    const otherSid = listed.find((session) => !session.current).sid;
    const before = await values(page);
    const refusals = [
      [null, 'Missing CSRF token'],
      ['0123456789abcdef0123456789abcdef', 'CSRF double submit tokens do not match'],
      ['0123456789abcdef012345', 'CSRF double submit tokens do not match'],
    ];
    for (const [csrf, message] of refusals) {
      for (const [method, path] of [['DELETE', `/auth/sessions/${otherSid}`],
        ['POST', '/auth/logout-all'], ['DELETE', '/auth/logout']]) {
        const reply = await call(page, method, path, { csrf });
        assert.equal(reply.status, 401, `${method} ${path} with ${csrf}: ${reply.text}`);
        assert.equal(reply.json.msg, message, `${method} ${path} with ${csrf}`);
      }
    }
    assert.deepEqual(await values(page), before, 'a refused request changed the cookies');
    assert.equal((await sessions(page)).length, 2, 'a refused request ended a session');
    assert.equal((await direct('GET', '/auth/me', { bearer: other.json.access_token })).status,
      200);
    // With the right value the same request goes through.
    const allowed = await call(page, 'DELETE', `/auth/sessions/${otherSid}`, { csrf: 'access' });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal((await direct('GET', '/auth/me', { bearer: other.json.access_token })).status,
      401);
    assert.equal((await call(page, 'GET', '/auth/me')).status, 200);
  });

scenario('another site cannot log the user out', async (t) => {
  const { context, page } = await loggedInPage(t);
  const before = await values(page);
  const attempts = () => (world.jwtguard.child.log().match(/\/auth\/logout-all/g) ?? []).length;
  const attemptsBefore = attempts();
  const evil = await context.newPage();
  await evil.goto(`${world.attacker}/`);
  const target = `${world.app}/auth/logout-all`;
  const [landed] = await Promise.all([
    evil.waitForNavigation(),
    evil.evaluate((url) => window.attacker.postForm(url), target),
  ]);
  assert.equal(landed.url(), target, 'the forged form was not posted');
  await evil.goto(`${world.attacker}/`);
  const fetched = await evil.evaluate((url) => window.attacker.fetchWithCredentials(url, 'POST'),
    target);
  assert.equal(fetched, 'sent');
  // jwtguard writes its access log line just after answering.
  for (let waited = 0; attempts() < attemptsBefore + 2 && waited < 5000; waited += 50) {
    await sleep(50);
  }
  assert.equal(attempts(), attemptsBefore + 2, 'the forged requests did not reach jwtguard');
  assert.deepEqual(await values(page), before, 'the other site changed the cookies');
  assert.equal((await call(page, 'GET', '/auth/me')).status, 200, 'the user was logged out');
  assert.equal((await sessions(page)).length, 1);
});

scenario('refresh from the page rotates the cookies and hands no token to the script',
  async (t) => {
    const { page } = await loggedInPage(t);
    const before = await values(page);
    const unprotected = await call(page, 'POST', '/auth/refresh');
    assert.equal(unprotected.status, 401, unprotected.text);
    assert.equal(unprotected.json.msg, 'Missing CSRF token');
    const withWrongValue = await call(page, 'POST', '/auth/refresh',
      { csrf: '0123456789abcdef012345' });
    assert.equal(withWrongValue.status, 401, withWrongValue.text);
    assert.deepEqual(await values(page), before);

    const refreshed = await call(page, 'POST', '/auth/refresh', { csrf: 'refresh' });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.ok(!('access_token' in (refreshed.json ?? {})), `tokens in the body: ${refreshed.text}`);
    assert.ok(!('refresh_token' in (refreshed.json ?? {})), `tokens in the body: ${refreshed.text}`);
    const after = await values(page);
    for (const name of kTokenCookies) assert.notEqual(after[name], before[name], `${name} kept`);
    assert.equal(claims(after.access_token_cookie).csrf, after.csrf_access_token);
    assert.equal(claims(after.refresh_token_cookie).csrf, after.csrf_refresh_token);
    assert.equal(claims(after.refresh_token_cookie).sid, claims(before.refresh_token_cookie).sid);
    assert.equal((await call(page, 'GET', '/auth/me')).status, 200);

    // Past the reuse interval, the retired refresh token is a stolen one:
    // refused, and the session it belongs to ends.
    await sleep((REFRESH_REUSE_INTERVAL + 1.5) * 1000);
    const reused = await direct('POST', '/auth/refresh', { bearer: before.refresh_token_cookie });
    assert.equal(reused.status, 401, reused.text);
    assert.equal((await call(page, 'GET', '/auth/me')).status, 401, 'the session outlived reuse');
  });

scenario('two tabs refreshing at the same moment both stay logged in', async (t) => {
  const { context, page } = await loggedInPage(t);
  const second = await context.newPage();
  await second.goto(`${world.app}/`);
  const before = await values(page);
  const startAt = Date.now() + 300;
  const replies = await Promise.all([page, second].map((tab) =>
    call(tab, 'POST', '/auth/refresh', { csrf: 'refresh', startAt })));
  for (const reply of replies) assert.equal(reply.status, 200, reply.text);
  assert.notEqual((await values(page)).refresh_token_cookie, before.refresh_token_cookie);
  for (const tab of [page, second]) {
    assert.equal((await call(tab, 'GET', '/auth/me')).status, 200, 'a tab was logged out');
  }
  assert.equal((await sessions(page)).length, 1);
  // The cookies both tabs share are a consistent pair, however the browser
  // interleaved the two answers' cookies (a session has one CSRF value):
  // the next refresh works.
  const after = await values(page);
  assert.equal(claims(after.refresh_token_cookie).csrf, after.csrf_refresh_token);
  assert.equal(claims(after.access_token_cookie).csrf, after.csrf_access_token);
  assert.equal(claims(after.refresh_token_cookie).csrf, claims(before.refresh_token_cookie).csrf);
  const next = await call(second, 'POST', '/auth/refresh', { csrf: 'refresh' });
  assert.equal(next.status, 200, next.text);
});

scenario('an access token near its expiry is renewed in a cookie of the same session',
  async (t) => {
    const { page } = await loggedInPage(t);
    const first = await values(page);
    const { exp, iat } = claims(first.access_token_cookie);
    const early = await call(page, 'GET', '/auth/me');
    assert.equal(early.status, 200, early.text);
    // Outside the window nothing is renewed; the window opens 5 s after
    // login, and a machine slow enough to miss that cannot tell.
    if (Date.now() / 1000 < iat + (ACCESS_TTL - REFRESH_ACCESS_WITHIN) - 1) {
      assert.equal((await values(page)).access_token_cookie, first.access_token_cookie,
        'renewed before the window');
    }
    await sleep(inWindowMs(first.access_token_cookie));
    const late = await call(page, 'GET', '/auth/me');
    assert.equal(late.status, 200, late.text);
    const renewed = await values(page);
    assert.notEqual(renewed.access_token_cookie, first.access_token_cookie, 'not renewed');
    const now = claims(renewed.access_token_cookie);
    assert.equal(now.sid, claims(first.access_token_cookie).sid);
    assert.ok(now.exp > exp);
    assert.equal(now.csrf, renewed.csrf_access_token);
    assert.equal(renewed.csrf_access_token, first.csrf_access_token);
    assert.equal((await direct('GET', '/auth/me', { bearer: renewed.access_token_cookie })).status,
      200);
    // The page's CSRF value still fits the renewed token.
    const logout = await call(page, 'DELETE', '/auth/logout', { csrf: 'access' });
    assert.equal(logout.status, 200, logout.text);
  });

scenario('logout clears every cookie and ends both tokens', async (t) => {
  const { page } = await loggedInPage(t);
  const before = await values(page);
  const logout = await call(page, 'DELETE', '/auth/logout', { csrf: 'access' });
  assert.equal(logout.status, 200, logout.text);
  const left = await jar(page);
  for (const name of kAllCookies) assert.ok(!left[name], `${name} is still set`);
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.equal((await call(page, 'GET', '/auth/me')).status, 401);
  const access = await direct('GET', '/auth/me', { bearer: before.access_token_cookie });
  assert.equal(access.status, 401, access.text);
  const refresh = await direct('POST', '/auth/refresh', { bearer: before.refresh_token_cookie });
  assert.equal(refresh.status, 401, refresh.text);
});

scenario('logout clears the cookies of a session that already ended', async (t) => {
  const { page } = await loggedInPage(t);
  const held = await values(page);
  const elsewhere = await direct('DELETE', '/auth/logout', { bearer: held.access_token_cookie });
  assert.equal(elsewhere.status, 200, elsewhere.text);
  assert.equal((await call(page, 'GET', '/auth/me')).status, 401);
  assert.deepEqual(await values(page), held);
  await call(page, 'DELETE', '/auth/logout', { csrf: 'access' });
  const left = await jar(page);
  for (const name of kAllCookies) assert.ok(!left[name], `${name} of a revoked token is kept`);
});

scenario('nginx auth_request lets a cookie through, and applies CSRF to the original method',
  async (t) => {
    const { user, page } = await loggedInPage(t);
    const read = await call(page, 'GET', '/api/orders');
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.subject, user.username);
    const write = await call(page, 'POST', '/api/orders');
    assert.equal(write.status, 401, write.text);
    assert.equal(write.json.msg, 'Missing CSRF token');
    const allowed = await call(page, 'POST', '/api/orders', { csrf: 'access' });
    assert.equal(allowed.status, 200, allowed.text);
    // In the implicit refresh window, the renewed cookie jwtguard gives the
    // subrequest reaches the browser with the application's answer.
    const first = await values(page);
    await sleep(inWindowMs(first.access_token_cookie));
    const late = await call(page, 'GET', '/api/orders');
    assert.equal(late.status, 200, late.text);
    const renewed = await values(page);
    assert.notEqual(renewed.access_token_cookie, first.access_token_cookie,
      'no renewed access cookie through auth_request');
    assert.equal(claims(renewed.access_token_cookie).sid, claims(first.access_token_cookie).sid);
    assert.equal((await call(page, 'GET', '/api/orders')).status, 200);
  });
