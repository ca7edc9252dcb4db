// docs/openapi.yaml documents exactly the routes `jwtguard serve` has: every
// row of the route table (server/routes.cc, printed by the route table
// program) is an operation of the document, with the same method and path
// template, parameter names included, and the document has no other.
//
//   node routes_test.mjs --route-table BIN --redocly BIN --document YAML
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

import { loadDocument, operations } from './document.mjs';

const { values: args } = parseArgs({
  options: {
    'route-table': { type: 'string' }, redocly: { type: 'string' }, document: { type: 'string' },
  },
});

const documentOperations = operations(loadDocument(args.redocly, args.document));

function routeTable() {
  const text = execFileSync(args['route-table'], { encoding: 'utf8' });
  return text.split('\n').filter((line) => line !== '');
}

test('the route table and the document have the same operations', () => {
  const routes = routeTable();
  // A table of a handful of rows would mean the program printed the wrong thing.
  assert.ok(routes.length >= 20, `the route table has ${routes.length} rows: ${routes}`);
  assert.equal(new Set(routes).size, routes.length, 'the route table has a row twice');
  const documented = documentOperations.map((op) => op.key);
  const undocumented = routes.filter((route) => !documented.includes(route));
  const unrouted = documented.filter((op) => !routes.includes(op));
  assert.deepEqual(undocumented, [],
    'routes of the route table that docs/openapi.yaml does not document: '
    + undocumented.join(', '));
  assert.deepEqual(unrouted, [],
    `operations of docs/openapi.yaml the service has no route for: ${unrouted.join(', ')}`);
  console.log(`${routes.length} routes, each documented once`);
});

test('every path parameter of the document is declared, and only those', () => {
  for (const { key, path, operation } of documentOperations) {
    const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
    assert.deepEqual(declared.sort(), inPath.sort(), `${key}: path parameters`);
  }
});
