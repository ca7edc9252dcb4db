// The independent Token Status List implementation for interop tests: OWF's
// @sd-jwt/jwt-status-list builds and compresses each list, panva's `jose`
// signs it as a statuslist+jwt with a fresh ES256 key. Copied next to its
// node_modules in the build tree by CMake.
//
//   node sd_jwt_lists.mjs BASE_URL
// prints {jwk, lists: [{uri, token, bits, lst, statuses}]}: each list's
// token as served at its uri (BASE_URL/statuslists/<bits>), and the status
// the library holds at every index, untouched ones included.
import * as jose from 'jose';
import { StatusList, createHeaderAndPayload } from '@sd-jwt/jwt-status-list';

const base = process.argv[2];
if (!base) {
  console.error('usage: node sd_jwt_lists.mjs BASE_URL');
  process.exit(2);
}

// Statuses set through the library's own setStatus, in a pattern that puts
// every value of the width at indices that cross byte boundaries.
function statusesFor(bits, size) {
  const list = new StatusList(new Array(size).fill(0), bits);
  const values = 1 << bits;
  for (let i = 0; i < size; ++i) {
    if ((i * 7 + bits) % 5 === 0 || i === size - 1) list.setStatus(i, (i * 3 + 1) % values);
  }
  return list;
}

const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'sd-jwt-issuer', alg: 'ES256' };
const now = Math.floor(Date.now() / 1000);

const lists = [];
for (const [bits, size] of [[1, 203], [2, 101], [8, 37]]) {
  const list = statusesFor(bits, size);
  const uri = `${base}/statuslists/${bits}`;
  const { header, payload } = createHeaderAndPayload(
    list,
    { sub: uri, iat: now, exp: now + 3600, ttl: 60 },
    { alg: 'ES256', typ: 'statuslist+jwt', kid: jwk.kid },
  );
  const token = await new jose.SignJWT(payload).setProtectedHeader(header).sign(privateKey);
  const statuses = [];
  for (let i = 0; i < size; ++i) statuses.push(list.getStatus(i));
  lists.push({ uri, token, bits, lst: payload.status_list.lst, statuses });
}
console.log(JSON.stringify({ jwk, lists }));
