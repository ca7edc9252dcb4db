// The errors every protected operation shares, driven from the document
// itself (live_test.mjs runs it beside the scenarios): no token (401), a
// malformed one (422), and a body over http.body_limit (413, answered
// before routing), for each operation that documents the status. A new
// route gets these checks without a new line here.
export async function driveSweep(c) {
  for (const { method, path, operation } of c.operations) {
    const target = path.replace(/\{[^}]+\}/g, 'x');
    const responses = operation.responses;
    const secured = (operation.security ?? []).length > 0;
    if (secured && responses['401']) await c.call(method, target, { expect: 401 });
    if (secured && responses['422']) await c.call(method, target, { token: 'x.y.z', expect: 422 });
    if (responses['413']) {
      await c.call(method, target, {
        body: 'x'.repeat(70 * 1024), contentType: 'application/json', expect: 413,
      });
    }
  }
}
