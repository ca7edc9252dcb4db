// A real OpenID Provider for the test: panva's certified oidc-provider,
// in this process, on a loopback port over plain HTTP (jwtguard fetches a
// JWKS over HTTP from loopback hosts only). It issues JWT access tokens for
// one resource server, logs users in through its development interactions
// (driven without a browser, below), and sends back-channel logout tokens
// on RP-initiated logout.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const RESOURCE = 'https://api.test';
export const OTHER_RESOURCE = 'https://other.test';
export const CLIENT_ID = 'jwtguard-api';
const kClientSecret = 'a client secret of more than thirty-two bytes';
// Never visited: the code is read from the authorization response's Location.
const kRedirectUri = 'http://127.0.0.1:9/callback';
const kAccessTokenTtl = 600;

// ESM packages under `nodeModules` (CTest installs them into the build tree).
export async function importInstalled(nodeModules, name) {
  const root = join(nodeModules, 'node_modules', name);
  let manifest;
  try {
    manifest = (await import(pathToFileURL(join(root, 'package.json')).href, {
      with: { type: 'json' },
    })).default;
  } catch {
    throw new Error(`${name} is not installed under ${nodeModules} (CTest installs it: ctest -R oidc)`);
  }
  const entry = manifest.exports?.['.']?.default ?? manifest.exports?.['.']?.import
    ?? manifest.main ?? 'index.js';
  return import(pathToFileURL(join(root, entry)).href);
}

// Access tokens of oidc-provider carry no "sid", though the grant knows the
// session: the same value its back-channel logout tokens name. A resource
// server can only end a session's tokens when they say which session they
// belong to, so the test adds it as deployments must (docs/issuers.md).
function extraTokenClaims(_ctx, token) {
  return token.kind === 'AccessToken' && token.sid ? { sid: token.sid } : undefined;
}

function resourceServer(_ctx, resource) {
  return {
    scope: 'api:read',
    audience: resource,
    accessTokenFormat: 'jwt',
    accessTokenTTL: kAccessTokenTtl,
    jwt: { sign: { alg: 'RS256' } },
  };
}

// oidc-provider guards its outgoing requests against loopback and private
// addresses (SSRF); here jwtguard, its back-channel logout receiver, is on
// loopback, so the guard's dispatcher is left out.
function unguardedFetch(url, { dispatcher, ...options }) {
  return globalThis.fetch(url, options);
}

function configuration(privateJwks) {
  return {
    fetch: unguardedFetch,
    jwks: { keys: privateJwks },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    extraTokenClaims,
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: resourceServer,
      },
    },
  };
}

// A provider listening on `port` with `privateJwks` (the first signs);
// `events` collects its back-channel outcomes and counts its JWKS requests.
export async function startProvider({ oidcProvider, port, privateJwks, events }) {
  const Provider = oidcProvider.default;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration(privateJwks));
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') events.jwksRequests += 1;
    await next();
  });
  provider.on('backchannel.success', (_ctx, _client, accountId, sid) => {
    events.backchannel.push({ ok: true, accountId, sid, at: Date.now() });
  });
  provider.on('backchannel.error', (_ctx, error, _client, accountId, sid) => {
    events.backchannel.push({ ok: false, accountId, sid, error: String(error), at: Date.now() });
  });
  const handle = provider.callback();
  // One request per connection: a kept-alive socket of the test's fetch
  // would outlive a restart on the same port and fail the next request.
  const server = http.createServer((request, response) => {
    response.shouldKeepAlive = false;
    handle(request, response);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const stop = () => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });
  return { provider, issuer, port, stop };
}

// The relying party jwtguard stands for: its back-channel logout URI is
// jwtguard's. Registered on each provider once jwtguard listens (its port is
// the kernel's choice), through the provider's own client store.
export async function registerClient(op, backchannelLogoutUri) {
  await op.provider.Client.adapter.upsert(CLIENT_ID, {
    client_id: CLIENT_ID,
    client_secret: kClientSecret,
    redirect_uris: [kRedirectUri],
    post_logout_redirect_uris: [kRedirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    backchannel_logout_uri: backchannelLogoutUri,
    backchannel_logout_session_required: true,
  });
}

// A user agent's cookies for one provider: one jar is one provider session.
export class CookieJar {
  constructor() {
    this.cookies = new Map();
  }

  async fetch(url, options = {}) {
    const header = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      ...options,
      redirect: 'manual',
      headers: { ...options.headers, ...(header ? { cookie: header } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const gone = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1).trim());
    }
    return response;
  }
}

function form(fields) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

// The authorization code flow as a browser would walk it: the login and
// consent forms of devInteractions are posted, redirects followed by hand.
async function authorizationCode(issuer, jar, { accountId, resource, verifier }) {
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  let url = `${issuer}/auth?${new URLSearchParams({
    client_id: CLIENT_ID, response_type: 'code', scope: 'openid api:read',
    redirect_uri: kRedirectUri, code_challenge: challenge, code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'), resource,
  })}`;
  for (let step = 0; step < 12; ++step) {
    const response = await jar.fetch(url);
    const location = response.headers.get('location');
    if (location?.startsWith(kRedirectUri)) {
      const code = new URL(location).searchParams.get('code');
      assert.ok(code, `the provider answered without a code: ${location}`);
      return code;
    }
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const page = await response.text();
    assert.equal(response.status, 200, `${url}: ${page}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    assert.ok(prompt, `no login or consent form at ${url}: ${page}`);
    const submitted = await jar.fetch(url, form(prompt === 'login'
      ? { prompt, login: accountId, password: 'any' } : { prompt }));
    await submitted.text();
    url = new URL(submitted.headers.get('location'), url).href;
  }
  throw new Error('the authorization flow did not end in a code within 12 steps');
}

// Logs `accountId` in with `jar` (a new provider session unless the jar
// already holds one) and returns an access token for `resource`.
export async function login(op, jar, { accountId, resource = RESOURCE }) {
  const verifier = randomBytes(32).toString('base64url');
  const code = await authorizationCode(op.issuer, jar, { accountId, resource, verifier });
  const response = await fetch(`${op.issuer}/token`, {
    ...form({
      grant_type: 'authorization_code', code, redirect_uri: kRedirectUri,
      code_verifier: verifier, resource,
    }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${kClientSecret}`).toString('base64')}`,
    },
  });
  const body = await response.json();
  assert.equal(response.status, 200, `token endpoint: ${JSON.stringify(body)}`);
  return body.access_token;
}

// RP-initiated logout of the jar's session, confirming the provider's
// form; resolves once the provider has sent its back-channel logouts.
export async function logout(op, jar) {
  const page = await jar.fetch(`${op.issuer}/session/end?client_id=${CLIENT_ID}`);
  const html = await page.text();
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(xsrf, `no logout form: ${page.status} ${html}`);
  const confirmed = await jar.fetch(`${op.issuer}/session/end/confirm`,
    form({ xsrf, logout: 'yes' }));
  await confirmed.text();
  assert.ok([200, 303].includes(confirmed.status), `logout confirm: ${confirmed.status}`);
}
