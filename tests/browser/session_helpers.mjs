// What the browser test's service is configured with, and small helpers on
// tokens and users that need neither the browser nor a server.
import { randomBytes } from 'node:crypto';

// Short enough that the implicit refresh window is reached within seconds
// (an access token is renewed once ACCESS_TTL - REFRESH_ACCESS_WITHIN = 5 s
// old), long enough that no token expires during a scenario.
export const ACCESS_TTL = 30;
export const REFRESH_ACCESS_WITHIN = 25;
// Two tabs refreshing at once fit well within it; a scenario waits it out.
export const REFRESH_REUSE_INTERVAL = 3;

export function jwtguardConfig() {
  return `[tokens]
access_ttl = ${ACCESS_TTL}
refresh_ttl = 3600
locations = ["headers", "cookies"]
refresh_reuse_interval = ${REFRESH_REUSE_INTERVAL}

[cookies]
refresh_access_within = ${REFRESH_ACCESS_WITHIN}

[users]
# Every scenario registers its own user from 127.0.0.1.
registration_max_per_address = 1000
`;
}

// The payload of a JWS, unverified: the test reads what the browser holds.
export function claims(token) {
  const payload = String(token).split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

export function freshUser() {
  return { username: `user-${randomBytes(6).toString('hex')}`, password: 'a long enough password' };
}
