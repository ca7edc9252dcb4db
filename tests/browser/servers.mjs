// The processes the browser test talks to: `jwtguard serve` with a temporary
// configuration, and nginx in front of it with the block docs/gateways.md
// shows, over HTTPS with a certificate made for this run. Every process is
// started on loopback ports, in the foreground, and stopped by its own PID.
import { spawn, execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';

const kStartTimeoutMs = 20_000;
const kPortAttempts = 5;

// A port that was free a moment ago; nginx retries when it was taken since.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function readOr(path, fallback = '') {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

// A started child process with its output in `dir`, stopped by its PID.
export class Child {
  constructor(name, argv, dir, env) {
    this.name = name;
    this.logPath = join(dir, `${name}.log`);
    writeFileSync(this.logPath, '');
    this.process = spawn(argv[0], argv.slice(1), {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exit = new Promise((resolve) => this.process.once('exit', (code, signal) =>
      resolve({ code, signal })));
    this.exited = null;
    this.exit.then((status) => { this.exited = status; });
    const append = (chunk) => writeFileSync(this.logPath, chunk, { flag: 'a' });
    this.process.stdout.on('data', append);
    this.process.stderr.on('data', append);
    this.process.once('error', (error) => append(`cannot start ${argv[0]}: ${error.message}\n`));
  }

  log() {
    return readOr(this.logPath);
  }

  // `signal` to this child's PID, SIGKILL if it is still running after
  // `timeoutMs`; resolves once it has exited.
  async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
    if (this.exited || this.process.pid === undefined) return;
    this.signal(signal);
    // Unreferenced: a pending timer would keep node running for its whole
    // length after the child exited.
    const timer = sleep(timeoutMs, undefined, { ref: false }).then(() => 'late');
    if ((await Promise.race([this.exit, timer])) === 'late') {
      this.signal('SIGKILL');
      await this.exit;
    }
  }

  signal(signal) {
    try {
      process.kill(this.process.pid, signal);
    } catch {
      // It exited a moment ago; its 'exit' event is on its way.
    }
  }

  // For process 'exit': no awaiting there.
  killNow() {
    if (!this.exited && this.process.pid !== undefined) this.signal('SIGKILL');
  }
}

// The environment of a child: the test's own, less any JWTGUARD_* setting
// of the developer's shell, which would change what the test runs.
export function cleanEnv(extra) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('JWTGUARD_')) env[name] = value;
  }
  return { ...env, ...extra };
}

// A self-signed certificate for 127.0.0.1 and localhost, and the base64
// SHA-256 of its public key: Chromium trusts exactly this key
// (--ignore-certificate-errors-spki-list) and no other bad certificate.
export function makeCertificate(dir) {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
    'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  const spki = new X509Certificate(readFileSync(cert)).publicKey.export({
    type: 'spki', format: 'der',
  });
  return { key, cert, spki: createHash('sha256').update(spki).digest('base64') };
}

// The port of jwtguard's `"event":"listening"` log line, once written.
function listeningPort(log) {
  for (const line of log.split('\n')) {
    if (!line.includes('"event":"listening"')) continue;
    const match = /"address":"[^"]*:(\d+)"/.exec(line);
    if (match) return Number(match[1]);
  }
  return null;
}

// `jwtguard serve` named `name`, with `config` (TOML text) and `store`, on
// a port the kernel picks; `secret` in its environment unless undefined
// (then `config` names the key).
export async function startJwtguard({
  binary, dir, config, secret, name = 'jwtguard', store = 'memory:',
}) {
  const configPath = join(dir, `${name}.toml`);
  writeFileSync(configPath, config);
  const child = new Child(name, [binary, 'serve', '--listen', '127.0.0.1:0', '--dev', 'false',
    '--store', store, '--config', configPath], dir,
  cleanEnv(secret === undefined ? {} : { JWTGUARD_SECRET: secret }));
  const deadline = Date.now() + kStartTimeoutMs;
  for (;;) {
    const port = listeningPort(child.log());
    if (port) return { name, child, port, url: `http://127.0.0.1:${port}` };
    if (child.exited) {
      throw new Error(`${name} ended before listening (${JSON.stringify(child.exited)}); `
        + `its output:\n${child.log()}\nits configuration:\n${config}`);
    }
    if (Date.now() > deadline) {
      await child.stop('SIGKILL');
      throw new Error(`${name} did not listen within ${kStartTimeoutMs} ms:\n${child.log()}`);
    }
    await sleep(20);
  }
}

// The first ```nginx block of docs/gateways.md, as a newcomer would copy it.
function documentedBlock(gatewaysDoc) {
  const doc = readFileSync(gatewaysDoc, 'utf8');
  const begin = doc.indexOf('```nginx\n');
  if (begin < 0) throw new Error(`${gatewaysDoc} has no \`\`\`nginx block`);
  const end = doc.indexOf('\n```', begin + 9);
  if (end < 0) throw new Error(`the \`\`\`nginx block of ${gatewaysDoc} is not closed`);
  return doc.slice(begin + 9, end + 1);
}

function replaceOnce(text, from, to) {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) {
    throw new Error(`the documented nginx configuration no longer has exactly one "${from}"`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
}

// The documented block with the test's addresses, TLS, and the page at `/`;
// around it, a plain-HTTP echo server standing for the protected application
// (it answers with the identity nginx passed on), and the attacker's site.
function nginxConfig({ dir, pages, tls, ports, jwtguardPort, gatewaysDoc }) {
  let block = documentedBlock(gatewaysDoc);
  block = replaceOnce(block, 'server 127.0.0.1:8080;', `server 127.0.0.1:${jwtguardPort};`);
  block = replaceOnce(block, 'server 127.0.0.1:8000;', `server 127.0.0.1:${ports.echo};`);
  block = replaceOnce(block, 'listen 443 ssl;', `listen 127.0.0.1:${ports.app} ssl;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    # The application's page, served from the same origin as /auth/.
    location = / { root ${pages}; try_files /app.html =404; default_type text/html; }`);
  // As root, nginx would hand its temporary directories to "nobody".
  const user = process.getuid() === 0 ? 'user root;' : '';
  return `${user}
daemon off;
master_process off;
pid ${dir}/nginx.pid;
lock_file ${dir}/nginx.lock;
error_log ${dir}/nginx-error.log notice;
events { worker_connections 256; }
http {
  access_log ${dir}/nginx-access.log;
  client_body_temp_path ${dir}/client_body_temp;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;

  server {
    listen 127.0.0.1:${ports.echo};
    location = /_ready { return 200 "ready\\n"; }
    location / {
      default_type application/json;
      return 200 '{"subject":"$http_x_auth_subject","session":"$http_x_auth_session"}';
    }
  }

  # Another site: same scheme, another host name (localhost, not 127.0.0.1).
  server {
    listen 127.0.0.1:${ports.attacker} ssl;
    server_name localhost;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    location = / { root ${pages}; try_files /attacker.html =404; default_type text/html; }
  }

${block}
}
`;
}

function httpGet(port, path) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path, timeout: 1000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('error', () => resolve(null));
    request.on('timeout', () => request.destroy());
  });
}

// nginx on free ports; another try with new ports when one was taken.
export async function startNginx({ binary, dir, pages, tls, jwtguardPort, gatewaysDoc }) {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: install nginx with \`make deps\``);
  }
  let failure = '';
  for (let attempt = 0; attempt < kPortAttempts; ++attempt) {
    const ports = { app: await freePort(), attacker: await freePort(), echo: await freePort() };
    if (new Set(Object.values(ports)).size !== 3) continue;
    const config = nginxConfig({ dir, pages, tls, ports, jwtguardPort, gatewaysDoc });
    const configPath = join(dir, 'nginx.conf');
    writeFileSync(configPath, config);
    writeFileSync(join(dir, 'nginx-error.log'), '');
    const child = new Child(`nginx-${attempt}`, [binary, '-p', `${dir}/`, '-c', configPath,
      '-e', join(dir, 'nginx-error.log')], dir, cleanEnv({}));
    const deadline = Date.now() + kStartTimeoutMs;
    for (;;) {
      const reply = await httpGet(ports.echo, '/_ready');
      if (reply && reply.status === 200) return { child, ports };
      if (child.exited || Date.now() > deadline) break;
      await sleep(20);
    }
    await child.stop('SIGKILL');
    failure = `${readOr(join(dir, 'nginx-error.log'))}${child.log()}\nnginx.conf:\n${config}`;
    if (!failure.includes('Address already in use')) break;
  }
  throw new Error(`nginx did not start:\n${failure}`);
}
