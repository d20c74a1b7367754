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

/**
 * Raises ImproperlyConfigured unless the keys are a matching pair the algorithm can use: RSA
 * of at least 2048 bits for RS256 (jsonwebtoken refuses smaller ones when signing), an EC
 * key on P-256 for ES256, and the verifying key the public half of the signing key.
 */
function checkKeyPair(algorithm: 'RS256' | 'ES256', signing: crypto.KeyObject, verifying: crypto.KeyObject): void {
  const expected = algorithm === 'RS256' ? 'rsa' : 'ec';
  if (signing.type !== 'private' || signing.asymmetricKeyType !== expected || verifying.asymmetricKeyType !== expected) {
    throw new ImproperlyConfigured(`JWT_ALGORITHM=${algorithm} needs an ${expected.toUpperCase()} private key in JWT_SIGNING_KEY_FILE and its public key in JWT_VERIFYING_KEY_FILE`);
  }
  const details = verifying.asymmetricKeyDetails ?? {};
  if (algorithm === 'RS256' && (details.modulusLength ?? 0) < 2048) {
    throw new ImproperlyConfigured('JWT_ALGORITHM=RS256 needs an RSA key of at least 2048 bits');
  }
  if (algorithm === 'ES256' && details.namedCurve !== 'prime256v1') {
    throw new ImproperlyConfigured('JWT_ALGORITHM=ES256 needs an EC key on the P-256 curve');
  }
  const spki = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(crypto.createPublicKey(signing)).equals(spki(verifying))) {
    throw new ImproperlyConfigured('JWT_VERIFYING_KEY_FILE does not hold the public key of JWT_SIGNING_KEY_FILE');
  }
}

export class TokenBackend {
  private readonly signingKey: crypto.KeyObject;
  private readonly verifyingKey: crypto.KeyObject;
  private readonly kid: string | null;
  /** jsonwebtoken's verify options, made once (they do not change per token). */
  private readonly verifyOptions: jwt.VerifyOptions & { complete?: false };

  constructor(private readonly options: BackendOptions) {
    this.verifyOptions = {
      algorithms: [options.algorithm],
      clockTolerance: options.leewaySeconds,
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
    };
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
      checkKeyPair(options.algorithm, this.signingKey, this.verifyingKey);
      const der = this.verifyingKey.export({ type: 'spki', format: 'der' });
      this.kid = crypto.createHash('sha256').update(der).digest('base64url').slice(0, 16);
    }
    // A token we sign must be one we accept: otherwise every login would hand out dead tokens.
    try {
      this.decode(this.encode({ probe: true }));
    } catch (err) {
      const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new ImproperlyConfigured(`JWT keys do not sign and verify with ${options.algorithm}: ${reason}`);
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
      const payload = jwt.verify(token, this.verifyingKey, this.verifyOptions);
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
