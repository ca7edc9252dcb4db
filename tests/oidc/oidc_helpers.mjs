// What the identity-server test's jwtguard instances are configured with,
// and small helpers to talk to them.
import { CLIENT_ID, RESOURCE } from './provider.mjs';

export const ISSUER_NAME = 'idp';
export const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
// Short, so that the flood and the rotation see it pass within the run.
export const COOLDOWN_S = 2;

// One trusted issuer. The key set's ttl (no Cache-Control from the
// provider: the default) is longer than the run, so that every JWKS fetch
// the test counts comes from an unknown kid, not from a background refresh.
export function jwtguardConfig(issuer) {
  return `[[issuers]]
issuer = "${issuer}"
name = "${ISSUER_NAME}"
jwks_url = "${issuer}/jwks"
audience = "${RESOURCE}"
algorithms = ["RS256"]
client_id = "${CLIENT_ID}"
leeway = "5s"
jwks_min_ttl = "1m"
jwks_default_ttl = "10m"
jwks_max_ttl = "1h"
jwks_cooldown = "${COOLDOWN_S}s"
jwks_timeout = "2s"
jwks_connect_timeout = "1s"
`;
}

// The payload of a JWS, unverified.
export function claims(token) {
  const payload = String(token).split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

async function answer(response) {
  const body = await response.text();
  let json = null;
  try { json = JSON.parse(body); } catch { /* not JSON */ }
  return { status: response.status, headers: response.headers, body, json };
}

// `GET /auth/verify` as nginx's auth_request sends it.
export async function verify(instance, token) {
  return answer(await fetch(`${instance.url}/auth/verify`, {
    headers: { authorization: `Bearer ${token}` },
  }));
}

export async function post(instance, path, form) {
  return answer(await fetch(`${instance.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  }));
}

// The lines of /metrics whose name contains `topic`.
export async function metrics(instance, topic) {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  return text.split('\n').filter((line) => !line.startsWith('#') && line.includes(topic))
    .join('\n');
}
