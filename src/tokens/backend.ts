/**
 * Signs and verifies JWTs: the only importer of jsonwebtoken (simplejwt's backends.py).
 * The algorithm is pinned on verify (no `none`, no switching between HMAC and RSA), keys are
 * KeyObjects made once (a string secret is re-parsed on every call), and every failure of the
 * library becomes a TokenBackendError that knows nothing of HTTP.
 *
 * Keys rotate (#18): tokens are signed with the current key only, and verified with it or an
 * older one, so that changing keys signs nobody out before their tokens expire. HS256: the
 * current key is SECRET_KEY, the older ones SECRET_KEY_FALLBACKS (Django's names); tokens carry
 * no `kid`, as simplejwt's, and each key is tried in turn. RS256/ES256: the current pair is
 * JWT_SIGNING_KEY_FILE + JWT_VERIFYING_KEY_FILE, the older public keys JWT_VERIFYING_KEY_FILES;
 * each key's `kid` is its RFC 7638 JWK thumbprint, new tokens carry the current one, a token's
 * `kid` picks the key that verifies it (a token without one is tried with each key, as minted
 * by simplejwt), and every key is published at /.well-known/jwks.json, the current one first.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import jwt from 'jsonwebtoken';
import { epochSeconds, systemClock, type Clock } from '../clock';
import { ImproperlyConfigured } from '../errors';

export class TokenBackendError extends Error {
  override name = 'TokenBackendError';
}

export type Payload = Record<string, unknown>;
type Algorithm = 'HS256' | 'RS256' | 'ES256';

export interface BackendOptions {
  readonly algorithm: Algorithm;
  readonly secretKey: string;
  /** SECRET_KEY_FALLBACKS: older HS256 secrets, verify only. */
  readonly secretKeyFallbacks?: readonly string[];
  readonly signingKeyFile: string | null;
  readonly verifyingKeyFile: string | null;
  /** JWT_VERIFYING_KEY_FILES: public keys of older RS256/ES256 pairs, verify only. */
  readonly verifyingKeyFiles?: readonly string[];
  readonly leewaySeconds: number;
  readonly issuer: string | null;
  readonly audience: string | null;
}

/** The message simplejwt (5.4, backends.py) gives any token it cannot verify, an unknown key's included. */
const INVALID = 'Token is invalid or expired';

/** A key that verifies tokens, with the ids a token's `kid` may name it by. */
interface VerifyingKey {
  readonly key: crypto.KeyObject;
  /** RFC 7638 thumbprint (null for HS256 secrets, which are never named). */
  readonly kid: string | null;
  /**
   * The kid of tokens signed before #18 (the first 16 characters of the SHA-256 of the key's
   * SPKI). Accepted so that the upgrade signs nobody out; it can go once such tokens have
   * expired (REFRESH_TOKEN_LIFETIME after the upgrade).
   */
  readonly legacyKid: string | null;
}

/** RFC 7638: SHA-256 of the key's required JWK members, in lexicographic order, base64url. */
export function jwkThumbprint(key: crypto.KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const members =
    jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : null;
  if (!members) throw new ImproperlyConfigured(`JWT keys must be RSA or EC, got ${jwk.kty}`);
  return crypto.createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/**
 * Raises ImproperlyConfigured unless `key` suits the algorithm: RSA of at least 2048 bits for
 * RS256 (jsonwebtoken refuses smaller ones when signing), EC on P-256 for ES256. `where` names
 * the setting in the message.
 */
function checkKeyType(algorithm: 'RS256' | 'ES256', key: crypto.KeyObject, where: string): void {
  const expected = algorithm === 'RS256' ? 'rsa' : 'ec';
  if (key.asymmetricKeyType !== expected) {
    throw new ImproperlyConfigured(`${where}: JWT_ALGORITHM=${algorithm} needs an ${expected.toUpperCase()} key, got ${key.asymmetricKeyType ?? key.type}`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'RS256' && (details.modulusLength ?? 0) < 2048) {
    throw new ImproperlyConfigured(`${where}: JWT_ALGORITHM=RS256 needs an RSA key of at least 2048 bits`);
  }
  if (algorithm === 'ES256' && details.namedCurve !== 'prime256v1') {
    throw new ImproperlyConfigured(`${where}: JWT_ALGORITHM=ES256 needs an EC key on the P-256 curve`);
  }
}

/**
 * Raises ImproperlyConfigured unless the keys are a matching pair the algorithm can use: a
 * private key in JWT_SIGNING_KEY_FILE whose public half is JWT_VERIFYING_KEY_FILE.
 */
function checkKeyPair(algorithm: 'RS256' | 'ES256', signing: crypto.KeyObject, verifying: crypto.KeyObject): void {
  const expected = algorithm === 'RS256' ? 'rsa' : 'ec';
  if (signing.type !== 'private' || signing.asymmetricKeyType !== expected || verifying.asymmetricKeyType !== expected) {
    throw new ImproperlyConfigured(`JWT_ALGORITHM=${algorithm} needs an ${expected.toUpperCase()} private key in JWT_SIGNING_KEY_FILE and its public key in JWT_VERIFYING_KEY_FILE`);
  }
  checkKeyType(algorithm, verifying, 'JWT_VERIFYING_KEY_FILE');
  if (!sameKey(crypto.createPublicKey(signing), verifying)) {
    throw new ImproperlyConfigured('JWT_VERIFYING_KEY_FILE does not hold the public key of JWT_SIGNING_KEY_FILE');
  }
}

const spki = (k: crypto.KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
const sameKey = (a: crypto.KeyObject, b: crypto.KeyObject): boolean => spki(a).equals(spki(b));

/** Reads a PEM file; raises ImproperlyConfigured naming `variable` and the file when it cannot. */
function readPem(variable: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ImproperlyConfigured(`${variable}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** The public key in `file` (an older pair's, JWT_VERIFYING_KEY_FILES): a public key, never a private one. */
function olderPublicKey(algorithm: 'RS256' | 'ES256', file: string): crypto.KeyObject {
  const where = `JWT_VERIFYING_KEY_FILES: ${file}`;
  const pem = readPem('JWT_VERIFYING_KEY_FILES', file);
  let isPrivate = true;
  try {
    crypto.createPrivateKey(pem);
  } catch {
    isPrivate = false;
  }
  if (isPrivate) throw new ImproperlyConfigured(`${where} holds a private key: give the public key only`);
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey(pem);
  } catch (err) {
    throw new ImproperlyConfigured(`${where} does not hold a PEM public key: ${(err as Error).message}`, { cause: err });
  }
  checkKeyType(algorithm, key, where);
  return key;
}

export class TokenBackend {
  private readonly signingKey: crypto.KeyObject;
  /** Every key that verifies, the current one first. */
  private readonly verifying: readonly VerifyingKey[];
  /** kid (and legacy kid) → key, for RS256/ES256. */
  private readonly byKid = new Map<string, crypto.KeyObject>();
  private readonly kid: string | null;
  /** jsonwebtoken's verify options but the clock, made once (they do not change per token). */
  private readonly verifyOptions: jwt.VerifyOptions & { complete?: false };

  /** `clock` is the service's clock: expiry is judged by it (jsonwebtoken's clockTimestamp). */
  constructor(
    private readonly options: BackendOptions,
    private readonly clock: Clock = systemClock,
  ) {
    this.verifyOptions = {
      algorithms: [options.algorithm],
      clockTolerance: options.leewaySeconds,
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
    };
    const algorithm = options.algorithm;
    if (algorithm === 'HS256') {
      const secrets = [options.secretKey, ...(options.secretKeyFallbacks ?? [])];
      this.verifying = secrets.map((s) => ({ key: crypto.createSecretKey(Buffer.from(s, 'utf8')), kid: null, legacyKid: null }));
      this.signingKey = this.verifying[0].key;
      this.kid = null;
    } else {
      let verifyingKey: crypto.KeyObject;
      try {
        this.signingKey = crypto.createPrivateKey(readPem('JWT_SIGNING_KEY_FILE', options.signingKeyFile as string));
        verifyingKey = crypto.createPublicKey(readPem('JWT_VERIFYING_KEY_FILE', options.verifyingKeyFile as string));
      } catch (err) {
        if (err instanceof ImproperlyConfigured) throw err;
        throw new ImproperlyConfigured(`JWT key files could not be read: ${(err as Error).message}`, { cause: err });
      }
      checkKeyPair(algorithm, this.signingKey, verifyingKey);
      const older = (options.verifyingKeyFiles ?? []).map((file) => {
        const key = olderPublicKey(algorithm, file);
        if (sameKey(key, verifyingKey)) {
          throw new ImproperlyConfigured(`JWT_VERIFYING_KEY_FILES: ${file} holds the current key (JWT_VERIFYING_KEY_FILE): list older keys only`);
        }
        return key;
      });
      this.verifying = [verifyingKey, ...older].map((key) => ({
        key,
        kid: jwkThumbprint(key),
        legacyKid: crypto.createHash('sha256').update(spki(key)).digest('base64url').slice(0, 16),
      }));
      for (const v of this.verifying) {
        if (this.byKid.has(v.kid as string)) throw new ImproperlyConfigured('JWT_VERIFYING_KEY_FILES lists the same key twice');
        this.byKid.set(v.kid as string, v.key).set(v.legacyKid as string, v.key);
      }
      this.kid = this.verifying[0].kid;
    }
    // A token we sign must be one we accept: otherwise every login would hand out dead tokens.
    try {
      this.decode(this.encode({ probe: true, iat: epochSeconds(this.clock) }));
    } catch (err) {
      const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new ImproperlyConfigured(`JWT keys do not sign and verify with ${algorithm}: ${reason}`);
    }
  }

  /** Signs `payload` (which already carries exp, iat, jti and the claims) with the current key. */
  encode(payload: Payload): string {
    const claims: Payload = { ...payload };
    if (this.options.issuer) claims.iss = this.options.issuer;
    if (this.options.audience) claims.aud = this.options.audience;
    return jwt.sign(claims, this.signingKey, {
      algorithm: this.options.algorithm,
      ...(this.kid ? { keyid: this.kid } : {}),
    });
  }

  /**
   * Returns the payload of a token signed by one of our keys with the pinned algorithm, not
   * expired by our clock (with the configured leeway), with our issuer and audience when set.
   * Raises TokenBackendError('Token is invalid or expired') otherwise, and for a token whose
   * `kid` names no key of ours.
   */
  decode(token: string): Payload {
    const keys = this.keysFor(token);
    if (keys.length === 0) throw new TokenBackendError(INVALID);
    const options = { ...this.verifyOptions, clockTimestamp: epochSeconds(this.clock) };
    for (let i = 0; ; i++) {
      try {
        const payload = jwt.verify(token, keys[i], options);
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
          throw new TokenBackendError(INVALID);
        }
        return payload as Payload;
      } catch (err) {
        // Only a signature that does not match says "maybe another key": anything else (an
        // expired token, a wrong audience) was decided by a key that did match.
        const tryNext = i + 1 < keys.length && err instanceof jwt.JsonWebTokenError && err.message === 'invalid signature';
        if (!tryNext) throw err instanceof TokenBackendError ? err : new TokenBackendError(INVALID, { cause: err });
      }
    }
  }

  /** The keys that may have signed `token`: by its `kid` for RS256/ES256 (none if unknown), else each in turn. */
  private keysFor(token: string): crypto.KeyObject[] {
    if (this.verifying.length === 1 && this.kid === null) return [this.verifying[0].key];
    if (this.kid !== null) {
      const kid = headerOf(token)?.kid;
      if (kid !== undefined) {
        const key = typeof kid === 'string' ? this.byKid.get(kid) : undefined;
        return key ? [key] : [];
      }
    }
    return this.verifying.map((v) => v.key);
  }

  get leewaySeconds(): number {
    return this.options.leewaySeconds;
  }

  /** The public keys as a JSON Web Key Set, the current one first; empty for HS256 (secrets are never published). */
  jwks(): { keys: Record<string, unknown>[] } {
    if (this.options.algorithm === 'HS256') return { keys: [] };
    return {
      keys: this.verifying.map((v) => ({ ...(v.key.export({ format: 'jwk' }) as Record<string, unknown>), kid: v.kid, alg: this.options.algorithm, use: 'sig' })),
    };
  }
}

/** A compact JWT's header, or null when it is not a base64url JSON object. */
function headerOf(token: string): Record<string, unknown> | null {
  const end = typeof token === 'string' ? token.indexOf('.') : -1;
  if (end <= 0) return null;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString('utf8')) as unknown;
    return header && typeof header === 'object' && !Array.isArray(header) ? (header as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
