// A trusted identity server as far as jwtguard sees one: its JWK Set on a
// loopback port (node's own HTTP server) and tokens signed with its ES256
// key (node's crypto), enough for back-channel logout and foreign tokens.
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

export const kAudience = 'https://api.example.test';
export const kClientId = 'jwtguard-api';
export const kLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';

function b64(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.from(text).toString('base64url');
}

export async function startIdentityServer() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  const server = createServer((req, res) => {
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const sign = (payload, typ = 'JWT') => {
    const input = `${b64({ alg: 'ES256', kid: jwk.kid, typ })}.${b64(payload)}`;
    const signature = createSign('SHA256').update(input)
      .sign({ key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  };
  const now = () => Math.floor(Date.now() / 1000);
  return {
    issuer,
    config: `[[issuers]]
issuer = "${issuer}"
name = "idp"
jwks_url = "${issuer}/jwks"
audience = "${kAudience}"
algorithms = ["ES256"]
client_id = "${kClientId}"
`,
    // A logout token for the session `sid`.
    logoutToken: (sid) => sign({
      iss: issuer, aud: kClientId, iat: now(), exp: now() + 120, jti: randomUUID(), sid,
      events: { [kLogoutEvent]: {} },
    }, 'logout+jwt'),
    // An access token of the identity server's with `claims` added.
    accessToken: (claims) => sign({
      iss: issuer, aud: kAudience, sub: 'idp-user', iat: now(), exp: now() + 120, ...claims,
    }),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
