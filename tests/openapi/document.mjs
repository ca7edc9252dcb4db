// docs/openapi.yaml as the tests read it: bundled by Redocly CLI into one
// JSON document with every $ref resolved (the YAML is parsed by the same
// tool that lints it, so both read the same document), and its operations.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const kMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// The document at `document`, dereferenced, as a JavaScript object. Throws
// with Redocly's output when it cannot be bundled.
export function loadDocument(redocly, document) {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-openapi-'));
  try {
    const out = join(dir, 'openapi.json');
    try {
      execFileSync(redocly, ['bundle', '--dereferenced', '--output', out, document], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      throw new Error(`redocly bundle ${document} failed:\n${error.stdout}${error.stderr}`);
    }
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Every operation: {key: "POST /auth/login", method, path, operation}.
export function operations(doc) {
  const found = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of kMethods) {
      if (item[method]) {
        found.push({
          key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path,
          operation: item[method],
        });
      }
    }
  }
  return found;
}
