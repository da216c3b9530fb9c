// Small helpers for node:http requests and responses in the test API server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import { badRequest, StatusError, unsupportedMediaType } from './status.js';

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a request body as JSON, or YAML for apply patches; rejects protobuf so clients fall back. */
export function parseBody(text: string, contentType: string): unknown {
  if (contentType.includes('protobuf')) throw unsupportedMediaType(contentType);
  if (!text.trim()) throw badRequest('the request body must not be empty');
  try {
    if (contentType.includes('yaml')) return yaml.load(text);
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendStatus(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, err.code, err.toBody());
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
