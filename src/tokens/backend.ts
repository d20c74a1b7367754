/**
 * Signs and verifies JWTs: the only importer of jsonwebtoken (simplejwt's backends.py).
 * The algorithm is pinned on verify (no `none`, no switching between HMAC and RSA), keys are
 * KeyObjects made once (a string secret is re-parsed on every call), and every failure of the
 * library becomes a TokenBackendError that knows nothing of HTTP.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import jwt from 'jsonwebtoken';
import { ImproperlyConfigured } from '../errors';

export class TokenBackendError extends Error {
  override name = 'TokenBackendError';
}

export type Payload = Record<string, unknown>;

export interface BackendOptions {
  readonly algorithm: 'HS256' | 'RS256' | 'ES256';
  readonly secretKey: string;
  readonly signingKeyFile: string | null;
  readonly verifyingKeyFile: string | null;
  readonly leewaySeconds: number;
  readonly issuer: string | null;
  readonly audience: string | null;
}

export class TokenBackend {
  private readonly signingKey: crypto.KeyObject;
  private readonly verifyingKey: crypto.KeyObject;
  private readonly kid: string | null;

  constructor(private readonly options: BackendOptions) {
    if (options.algorithm === 'HS256') {
      this.signingKey = this.verifyingKey = crypto.createSecretKey(Buffer.from(options.secretKey, 'utf8'));
      this.kid = null;
    } else {
      try {
        this.signingKey = crypto.createPrivateKey(fs.readFileSync(options.signingKeyFile as string));
        this.verifyingKey = crypto.createPublicKey(fs.readFileSync(options.verifyingKeyFile as string));
      } catch (err) {
        throw new ImproperlyConfigured(`JWT key files could not be read: ${(err as Error).message}`);
      }
      const expected = options.algorithm === 'RS256' ? 'rsa' : 'ec';
      if (this.verifyingKey.asymmetricKeyType !== expected) {
        throw new ImproperlyConfigured(`JWT_ALGORITHM=${options.algorithm} needs an ${expected.toUpperCase()} key pair`);
      }
      const der = this.verifyingKey.export({ type: 'spki', format: 'der' });
      this.kid = crypto.createHash('sha256').update(der).digest('base64url').slice(0, 16);
    }
  }

  /** Signs `payload` (which already carries exp, iat, jti and the claims). */
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
   * Returns the payload of a token signed by us with the pinned algorithm, not expired (with
   * the configured leeway), with our issuer and audience when set.
   * Raises TokenBackendError('Token is invalid or expired') otherwise.
   */
  decode(token: string): Payload {
    try {
      const payload = jwt.verify(token, this.verifyingKey, {
        algorithms: [this.options.algorithm],
        clockTolerance: this.options.leewaySeconds,
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
      });
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new TokenBackendError('Token is invalid or expired');
      }
      return payload as Payload;
    } catch (err) {
      throw new TokenBackendError('Token is invalid or expired', { cause: err });
    }
  }

  get leewaySeconds(): number {
    return this.options.leewaySeconds;
  }

  /** The public key as a JSON Web Key Set; empty for HS256 (the secret is never published). */
  jwks(): { keys: Record<string, unknown>[] } {
    if (this.options.algorithm === 'HS256') return { keys: [] };
    const jwk = this.verifyingKey.export({ format: 'jwk' }) as Record<string, unknown>;
    return { keys: [{ ...jwk, kid: this.kid, alg: this.options.algorithm, use: 'sig' }] };
  }
}
