// Drives `jwtguard serve` and holds each answer to docs/openapi.yaml: its
// status must be one the operation documents, its documented headers there
// (required ones) and valid, its content type one the document lists, and
// its body valid against that media type's JSON Schema (Ajv, 2020-12, strict).
// Records which statuses each operation was seen to answer.
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import { operations } from './document.mjs';

// A path of the document's template: "{x}" takes one non-empty segment.
function matches(template, path) {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${pattern}$`).test(path);
}

export class Checker {
  constructor({ doc, nodeModules, port }) {
    const require = createRequire(resolve(nodeModules, 'node_modules', 'index.js'));
    const Ajv2020 = require('ajv/dist/2020').default;
    const addFormats = require('ajv-formats').default;
    // Strict: a keyword or format Ajv does not know fails the compile rather
    // than being ignored, so a schema cannot silently check nothing.
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
    addFormats(this.ajv);
    this.doc = doc;
    this.port = port;
    this.operations = operations(doc);
    this.compiled = new Map();
    this.seen = new Map(this.operations.map((op) => [op.key, new Map()]));
    this.checks = 0;
  }

  validator(schema) {
    if (!this.compiled.has(schema)) this.compiled.set(schema, this.ajv.compile(schema));
    return this.compiled.get(schema);
  }

  operation(method, path) {
    return this.operations.find((op) => op.method === method && matches(op.path, path));
  }

  // One request on a connection of its own; the answer's status, headers
  // (lower-case names; set-cookie an array) and body text.
  send(method, target, { headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = httpRequest({
        host: '127.0.0.1', port: this.port, method, path: target, headers, agent: false,
      }, (res) => {
        answered = true;
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({
          status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString(),
        }));
        res.on('error', reject);
      });
      // A 413 closes the connection while the body may still be on its way.
      req.on('error', (error) => { if (!answered) reject(error); });
      req.end(body);
    });
  }

  // The request, its answer validated against the documented operation of
  // `method` and the target's path. `expect`, when given, is the status the
  // scenario means to reach (so that a check passes for the right reason).
  async call(method, target, { token, json, form, body, contentType, headers = {}, expect } = {}) {
    const path = target.split('?')[0];
    const found = this.operation(method, path);
    if (!found) throw new Error(`${method} ${path}: no operation of the document matches`);
    const sent = { ...headers };
    if (token) sent.authorization = `Bearer ${token}`;
    let payload = body;
    if (json !== undefined) payload = JSON.stringify(json);
    if (form !== undefined) payload = new URLSearchParams(form).toString();
    const type = contentType ?? (json !== undefined ? 'application/json'
      : form !== undefined ? 'application/x-www-form-urlencoded' : undefined);
    if (type) sent['content-type'] = type;
    // Node sends a DELETE's body without framing unless told its length.
    if (payload !== undefined) sent['content-length'] = Buffer.byteLength(payload);
    const reply = await this.send(method, target, { headers: sent, body: payload });
    const what = `${found.key} (${method} ${target}) answered ${reply.status}`;
    const documented = found.operation.responses[String(reply.status)];
    if (!documented) {
      throw new Error(`${what}, which docs/openapi.yaml does not document for it: ${reply.text}`);
    }
    this.validate(what, documented, reply);
    this.echoesNoSecret(what, reply, [token, json?.password, json?.current_password,
      json?.new_password, form?.token, form?.logout_token]);
    if (expect !== undefined && reply.status !== expect) {
      throw new Error(`${what}, not ${expect}: ${reply.text}`);
    }
    const statuses = this.seen.get(found.key);
    statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    return { ...reply, json: reply.text && /json/.test(reply.headers['content-type'] ?? '')
      ? JSON.parse(reply.text) : null };
  }

  // No answer repeats a token or a password the request carried, in its
  // body or any header (an error message that quotes its input would).
  echoesNoSecret(what, reply, secrets) {
    const answer = `${JSON.stringify(reply.headers)}\n${reply.text}`;
    for (const secret of secrets) {
      if (typeof secret === 'string' && secret.length >= 8 && answer.includes(secret)) {
        throw new Error(`${what} repeats a secret of the request (shown as <secret>): `
          + answer.replaceAll(secret, '<secret>'));
      }
    }
  }

  // An answer no operation owns (404, 405, 431, a CORS preflight) against
  // its component response.
  async routing(method, target, component, expect, headers = {}) {
    const reply = await this.send(method, target, { headers });
    const what = `${method} ${target} answered ${reply.status}`;
    if (reply.status !== expect) throw new Error(`${what}, not ${expect}: ${reply.text}`);
    this.validate(what, this.doc.components.responses[component], reply);
    return reply;
  }

  validate(what, response, reply) {
    ++this.checks;
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = reply.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) throw new Error(`${what} without its required header ${name}`);
        continue;
      }
      for (const one of Array.isArray(value) ? value : [value]) {
        this.check(`${what}: header ${name}`, header.schema, one);
      }
    }
    const contentType = reply.headers['content-type'];
    if (!response.content) {
      if (reply.text !== '') throw new Error(`${what} with a body the document has none for`);
      return;
    }
    if (!contentType) throw new Error(`${what} without a Content-Type`);
    const media = contentType.split(';')[0].trim().toLowerCase();
    const documented = response.content[media];
    if (!documented) {
      throw new Error(`${what} as ${media}, not ${Object.keys(response.content).join(' or ')}`);
    }
    let body = reply.text;
    if (media.endsWith('json')) {
      try {
        body = JSON.parse(reply.text);
      } catch {
        throw new Error(`${what} as ${media} with a body that is not JSON: ${reply.text}`);
      }
    }
    this.check(`${what}: body`, documented.schema, body);
  }

  check(what, schema, value) {
    if (!schema) return;
    const validate = this.validator(schema);
    if (!validate(value)) {
      throw new Error(`${what} does not match the document: `
        + `${this.ajv.errorsText(validate.errors)}\n  value: ${JSON.stringify(value)}`);
    }
  }

  // Operations never driven, or never seen answering a success, or (when
  // the document lists client errors for them) never seen answering one.
  gaps() {
    const gaps = [];
    for (const { key, operation } of this.operations) {
      const seen = [...this.seen.get(key).keys()];
      const documented = Object.keys(operation.responses);
      if (!seen.some((status) => status < 300)) gaps.push(`${key}: no success checked`);
      const clientError = (status) => status >= 400 && status < 500;
      if (documented.some((status) => status.startsWith('4')) && !seen.some(clientError)) {
        gaps.push(`${key}: no client error checked`);
      }
    }
    return gaps;
  }

  summary() {
    const lines = [];
    let pairs = 0;
    for (const { key, operation } of this.operations) {
      const seen = this.seen.get(key);
      const statuses = [...seen.entries()].sort(([a], [b]) => a - b);
      pairs += statuses.length;
      // Documented answers a live run cannot provoke (a failing store, a
      // hash queue full, registration closed) are listed, not hidden.
      const unseen = Object.keys(operation.responses).filter((status) => !seen.has(Number(status)));
      lines.push(`  ${key.padEnd(38)} ${statuses.map(([s, n]) => `${s}×${n}`).join(' ')}`
        + (unseen.length ? `  (not seen: ${unseen.join(' ')})` : ''));
    }
    return `${this.operations.length} operations, ${pairs} operation × status pairs, `
      + `${this.checks} answers validated:\n${lines.join('\n')}`;
  }
}
