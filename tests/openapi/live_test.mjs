// Every operation of docs/openapi.yaml driven against a live `jwtguard
// serve` (SQLite in a temporary directory, cookies and CORS on, status lists
// on with an ES256 key, a trusted identity server for back-channel logout),
// on its success and its main errors; each answer is validated against the
// document (checker.mjs). Fails when an operation was never driven, so a new
// route needs a live check here as well as its place in the document.
//
//   node live_test.mjs --jwtguard BIN --redocly BIN --document YAML --node-modules DIR
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { cleanEnv, startJwtguard } from '../browser/servers.mjs';
import { waitReady } from '../oidc/processes.mjs';
import { Checker } from './checker.mjs';
import { loadDocument } from './document.mjs';
import { startIdentityServer } from './identity_server.mjs';
import {
  driveAdmin, driveAnonymous, driveTokens, driveUsers, kOrigin, kPassword,
} from './scenarios.mjs';
import { driveSweep } from './sweep.mjs';

const { values: args } = parseArgs({
  options: {
    jwtguard: { type: 'string' }, redocly: { type: 'string' }, document: { type: 'string' },
    'node-modules': { type: 'string' },
  },
});


const world = { failed: false };

function config(dir, idp) {
  return `[keys]
key_file = "${join(dir, 'signing.jwk')}"

[tokens]
locations = ["headers", "cookies"]

[cookies]
secure = false

[cors]
allowed_origins = ["${kOrigin}"]

[status_list]
enabled = true
base_url = "https://status.example.test"
list_size = 1024
publish_interval = "1s"

[users]
min_password_length = 8
registration_max_per_address = 4
login_max_failures = 2

${idp.config}`;
}

function cli(argv, input) {
  return execFileSync(args.jwtguard, argv, {
    input, env: cleanEnv({}), stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8',
  });
}

before(async () => {
  world.dir = mkdtempSync(join(tmpdir(), 'jwtguard-openapi-live-'));
  const store = `sqlite:${join(world.dir, 'jwtguard.db')}`;
  execFileSync('sh', ['-c', `umask 077; "$0" keys generate --alg ES256 --kid k1 > "$1"`,
    args.jwtguard, join(world.dir, 'signing.jwk')]);
  cli(['user', 'create', 'admin', '--password-stdin', '--admin', '--create', '--store', store],
    `${kPassword}\n`);
  world.idp = await startIdentityServer();
  world.jwtguard = await startJwtguard({
    binary: args.jwtguard, dir: world.dir, config: config(world.dir, world.idp), store,
  });
  await waitReady(world.jwtguard);
  world.checker = new Checker({
    doc: loadDocument(args.redocly, args.document), nodeModules: args['node-modules'],
    port: world.jwtguard.port,
  });
});

after(async () => {
  await world.jwtguard?.child.stop();
  await world.idp?.stop();
  if (world.failed) {
    console.log(`kept ${world.dir}; jwtguard's log:\n${world.jwtguard?.child.log()}`);
  } else if (world.dir) {
    rmSync(world.dir, { recursive: true, force: true });
  }
});

// Each part runs after the one before it: later parts use what earlier
// ones made (users, tokens, revocations).
const state = {};
for (const [name, drive] of [
  ['anonymous routes and routing answers', driveAnonymous],
  ['the shared errors of every protected operation', driveSweep],
  ['registration, login and the account routes', driveUsers],
  ['tokens, sessions and OAuth', driveTokens],
  ['admin routes and back-channel logout', driveAdmin],
]) {
  test(name, async () => {
    // Later parts need what earlier ones made: say so rather than fail obscurely.
    if (world.failed) throw new Error('not run: an earlier part failed');
    try {
      await drive(world.checker, state, world);
    } catch (error) {
      world.failed = true;
      throw error;
    }
  });
}

test('every operation of the document was driven', () => {
  console.log(world.checker.summary());
  const gaps = world.checker.gaps();
  if (gaps.length) world.failed = true;
  assert.deepEqual(gaps, [], 'operations of docs/openapi.yaml the live test did not exercise');
});
