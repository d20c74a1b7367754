/**
 * JWT helpers for the auth API tests: read a token's parts, and forge tokens by hand (with
 * node:crypto only, so the tests do not share the server's JWT library or its mistakes).
 */
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import type { TestServer } from '../../helpers/server';

export type Claims = Record<string, unknown>;

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** The decoded header and payload of a compact JWT (the signature is not checked). */
export function decodeJwt(token: string): { header: Claims; payload: Claims } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Claims,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Claims,
  };
}

/** A compact JWT with `header` and `payload`, HMAC-SHA256-signed with `secret`. */
export function signHs256(payload: Claims, secret: string | Buffer, header: Claims = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = crypto.createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${sig}`;
}

/** An unsigned token (`alg: none`, empty signature). */
export function unsigned(payload: Claims): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.`;
}

/** The same token with one character of its signature changed (a middle one: the last may only hold padding bits). */
export function tamperSignature(token: string): string {
  const [h, p, s] = token.split('.');
  const i = Math.floor(s.length / 2);
  const swapped = s[i] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${s.slice(0, i)}${swapped}${s.slice(i + 1)}`;
}

/** The same token with its payload replaced and the old signature kept. */
export function withPayload(token: string, payload: Claims): string {
  const [h, , s] = token.split('.');
  return `${h}.${b64url(JSON.stringify(payload))}.${s}`;
}

/** Claims as simplejwt puts them in a fresh token of `type` for `userId`. */
export function claimsFor(type: 'access' | 'refresh', userId: number, lifetimeSeconds = 300): Claims {
  const now = Math.floor(Date.now() / 1000);
  return { token_type: type, exp: now + lifetimeSeconds, iat: now, jti: crypto.randomBytes(16).toString('hex'), user_id: userId };
}

/** A token signed with the server's own HS256 secret (a forgery only the server could make). */
export function forge(server: TestServer, payload: Claims): string {
  return signHs256(payload, server.app.services.settings.secretKey);
}

/** simplejwt's body for a refused access token on an authenticated endpoint. */
export function invalidAccess(message: string) {
  return {
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  };
}

/** simplejwt's body for a refused token on its own views. */
export function tokenNotValid(detail = 'Token is invalid or expired') {
  return { detail, code: 'token_not_valid' };
}

/** Asserts status and body, and that the body's keys come in DRF's order. */
export function assertReply(r: { status: number; body: unknown; text: string }, status: number, body: unknown): void {
  assert.deepEqual({ status: r.status, body: r.body }, { status, body });
  if (body && typeof body === 'object') assert.equal(r.text, JSON.stringify(body), 'keys in DRF order');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs `fields` as multipart/form-data (the helper's request() has no multipart option). */
export async function postMultipart(server: TestServer, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  const res = await fetch(server.url + path, { method: 'POST', body: fd, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : '' };
}
