// The independent JOSE implementation for interop tests: panva's `jose`
// (node). Copied next to its node_modules in the build tree by CMake.
//
//   node jose_peer.mjs sign    prints [{alg, jwk, token}] for every algorithm:
//                              tokens jose signed, with the JWK to verify them
//   node jose_peer.mjs verify  reads [{alg, jwk, token}] on stdin, prints
//                              [{alg, ok, error, payload}] as jose sees them
import * as jose from 'jose';

const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
              'ES256', 'ES384', 'ES512', 'EdDSA'];

async function signAll() {
  const out = [];
  for (const alg of ALGS) {
    let signingKey, jwk;
    if (alg.startsWith('HS')) {
      signingKey = await jose.generateSecret(alg, { extractable: true });
      jwk = await jose.exportJWK(signingKey);
    } else {
      const options = alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : { extractable: true };
      const pair = await jose.generateKeyPair(alg, options);
      signingKey = pair.privateKey;
      jwk = await jose.exportJWK(pair.publicKey);
    }
    const token = await new jose.SignJWT({ type: 'access', fresh: true, sid: 'jose-session' })
      .setProtectedHeader({ alg, typ: 'JWT' })
      .setSubject('interop-' + alg)
      .setJti('jti-' + alg)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .sign(signingKey);
    out.push({ alg, jwk, token });
  }
  return out;
}

async function verifyAll(items) {
  const out = [];
  for (const { alg, jwk, token } of items) {
    try {
      const key = await jose.importJWK(jwk, alg);
      const { payload, protectedHeader } = await jose.jwtVerify(token, key, { algorithms: [alg] });
      out.push({ alg, ok: protectedHeader.alg === alg, payload });
    } catch (e) {
      out.push({ alg, ok: false, error: `${e.code || e.name}: ${e.message}` });
    }
  }
  return out;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const mode = process.argv[2];
const result = mode === 'sign' ? await signAll()
             : mode === 'verify' ? await verifyAll(await readStdin())
             : null;
if (result === null) {
  console.error('usage: node jose_peer.mjs sign|verify');
  process.exit(2);
}
process.stdout.write(JSON.stringify(result));
