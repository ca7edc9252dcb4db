// The processes the identity-server test starts: redis-server and
// `jwtguard serve` instances sharing it, each on a loopback port, in the
// foreground, with its output in the run's directory, stopped by its PID.
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  Child, cleanEnv, freePort, startJwtguard,
} from '../browser/servers.mjs';

export { freePort, startJwtguard };

const kStartTimeoutMs = 20_000;
const kPortAttempts = 5;
const kRedisServers = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];

function ping(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    let reply = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
  });
}

// redis-server on a free port (or `port`), persisting nothing (the run's
// data dies with it), or with `persist` an append-only file fsynced on every
// write in `dir`, so that a redis-server started again on that directory
// has everything back.
export async function startRedis(dir, { persist = false, port: fixedPort } = {}) {
  const binary = kRedisServers.find((path) => existsSync(path));
  if (!binary) {
    throw new Error(`redis-server is not installed (looked in ${kRedisServers.join(', ')}): `
      + 'run `make deps`');
  }
  let failure = '';
  for (let attempt = 0; attempt < kPortAttempts; ++attempt) {
    const port = fixedPort ?? await freePort();
    const config = join(dir, 'redis.conf');
    writeFileSync(config, `bind 127.0.0.1\nport ${port}\ndir "${dir}"\ndaemonize no\n`
      + (persist ? 'appendonly yes\nappendfsync always\nsave ""\n' : 'appendonly no\nsave ""\n'));
    const child = new Child(`redis-${attempt}`, [binary, config], dir, cleanEnv({}));
    const deadline = Date.now() + kStartTimeoutMs;
    while (!child.exited && Date.now() < deadline) {
      if (await ping(port)) return { child, url: `redis://127.0.0.1:${port}/0` };
      await sleep(20);
    }
    await child.stop();
    failure = child.log();
    if (!failure.includes('Address already in use')) break;
  }
  throw new Error(`redis-server did not start:\n${failure}`);
}

// Resolves once `instance` answers /readyz with 200 (its issuers' first key
// sets are loaded); fails with its log after `timeoutMs`.
export async function waitReady(instance, timeoutMs = kStartTimeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    const response = await fetch(`${instance.url}/readyz`).catch(() => null);
    last = response && `${response.status} ${await response.text()}`;
    if (response?.status === 200) return;
    await sleep(50);
  }
  throw new Error(`${instance.name} was not ready within ${timeoutMs} ms (last /readyz: ${last}):\n`
    + instance.child.log());
}
