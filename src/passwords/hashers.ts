/**
 * Password hashing compatible with Django's `django.contrib.auth.hashers` storage format.
 *
 * New hashes are argon2id at OWASP's recommended cost, stored as Django's
 * Argon2PasswordHasher does: `argon2` + the PHC string
 * (`argon2$argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>`). Hashes migrated from a
 * Django database are verified too (`pbkdf2_sha256`, `pbkdf2_sha1`, `argon2` with
 * argon2id/argon2i/argon2d) and flagged `mustUpdate` so the caller re-hashes on login.
 *
 * All hashing runs on libuv's thread pool (argon2's async binding, async `crypto.pbkdf2`),
 * never on the event loop. This is the only module of the project that imports `argon2`.
 */
import { pbkdf2, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import * as argon2 from 'argon2';

const pbkdf2Async = promisify(pbkdf2);

/** Cost of new hashes, and the bounds accepted when verifying stored ones. */
export const PASSWORD_HASHER_PARAMS = Object.freeze({
  /** Django's algorithm name, the first `$`-separated field of the stored value. */
  algorithm: 'argon2',
  type: 'argon2id',
  version: 0x13,
  /** Memory in KiB (19 MiB), OWASP's argon2id recommendation. */
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
  /** Stored hashes above these costs are treated as hostile and never computed. */
  limits: Object.freeze({
    pbkdf2MaxIterations: 10_000_000,
    pbkdf2MaxSaltLength: 256,
    argon2MaxMemoryCost: 262_144, // 256 MiB
    argon2MaxTimeCost: 32,
    argon2MaxParallelism: 64,
    argon2MinSaltBytes: 8,
    argon2MaxSaltBytes: 64,
    argon2MinHashBytes: 4,
    argon2MaxHashBytes: 64,
  }),
});

const LIMITS = PASSWORD_HASHER_PARAMS.limits;
const ARGON2_TYPES = { argon2d: argon2.argon2d, argon2i: argon2.argon2i, argon2id: argon2.argon2id } as const;
const PBKDF2_DIGESTS = { pbkdf2_sha256: ['sha256', 32], pbkdf2_sha1: ['sha1', 20] } as const;
/** Django's UNUSABLE_PASSWORD_PREFIX. */
const UNUSABLE_PREFIX = '!';
const RANDOM_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface VerifyResult {
  /** The raw password matches the stored hash. */
  valid: boolean;
  /** Valid, but not argon2id at PASSWORD_HASHER_PARAMS: the caller should store a new hash. */
  mustUpdate: boolean;
}

const INVALID: VerifyResult = Object.freeze({ valid: false, mustUpdate: false });

/** A counting semaphore: `run(fn)` waits for a free slot, runs fn, frees the slot. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {
    this.free = size;
  }

  /** How many run now, and how many wait for a slot. */
  load(): { running: number; queued: number } {
    return { running: this.size - this.free, queued: this.waiting.length };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next in line
      else this.free++;
    }
  }
}

/**
 * Hashing is CPU-bound work on libuv's thread pool. Left alone, a burst of logins fills every
 * pool thread and every core, and the event loop (which answers everyone else) is starved:
 * measured on 2 cores, 4 concurrent argon2 checks held a trivial GET for 25-40 ms. So at most
 * one hash per core but one runs at once, whoever asks (login, registration, password change);
 * the rest wait their turn.
 */
const hashingSlots = new Slots(Math.max(1, availableParallelism() - 1));

/** Password hashes and checks running now, and waiting for their turn (the metrics read it). */
export function hashingLoad(): { running: number; queued: number } {
  return hashingSlots.load();
}

/**
 * Hash a raw password for storage.
 * @returns `argon2$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (unpadded standard base64).
 * @throws only if the native argon2 binding fails (e.g. out of memory).
 */
export function hashPassword(raw: string): Promise<string> {
  return hashingSlots.run(() => hashNow(raw));
}

async function hashNow(raw: string): Promise<string> {
  const P = PASSWORD_HASHER_PARAMS;
  const salt = randomBytes(P.saltLength);
  const hash = await argon2.hash(raw, {
    raw: true,
    type: argon2.argon2id,
    version: P.version,
    memoryCost: P.memoryCost,
    timeCost: P.timeCost,
    parallelism: P.parallelism,
    hashLength: P.hashLength,
    salt,
  });
  // Serialised by hand: the argon2 package orders the parameters m,p,t; the reference
  // encoding (and argon2-cffi, hence Django) writes m,t,p.
  return `${P.algorithm}$${P.type}$v=${P.version}$m=${P.memoryCost},t=${P.timeCost},p=${P.parallelism}$${b64(salt)}$${b64(hash)}`;
}

/** Unpadded standard base64, as in PHC strings. */
function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/**
 * Check a raw password against a stored Django-format hash.
 * @returns `{valid, mustUpdate}`; `{valid:false, mustUpdate:false}` for a wrong password and
 *   for null/empty/unusable (`!…`)/unknown/malformed/over-cost stored values. Those that cannot
 *   be computed cost a verification at our parameters all the same, so the time does not tell
 *   which accounts have a usable password (as Django since CVE-2024-39329, #14).
 * @throws never.
 */
export function verifyPassword(raw: string, encoded: string | null): Promise<VerifyResult> {
  return hashingSlots.run(async () => (await verifyNow(raw, encoded)) ?? dummyVerify(raw));
}

/** The outcome of checking against a hash we can compute; null when it cannot be (no hash work done). */
async function verifyNow(raw: string, encoded: string | null): Promise<VerifyResult | null> {
  if (typeof raw !== 'string' || !encoded || encoded.startsWith(UNUSABLE_PREFIX)) return null;
  try {
    const algorithm = encoded.split('$', 1)[0];
    if (algorithm === 'argon2') return await verifyArgon2(raw, encoded);
    if (algorithm === 'pbkdf2_sha256' || algorithm === 'pbkdf2_sha1') return await verifyPbkdf2(raw, encoded);
  } catch {
    // Malformed parameters rejected by the native binding, or a resource failure.
  }
  return null;
}

let dummyHash: Promise<string> | undefined;

/**
 * A verification at our parameters against a hash of a random password (made on first use and
 * cached), in the caller's hashing slot. Always "no match"; never throws.
 */
async function dummyVerify(raw: string): Promise<VerifyResult> {
  try {
    dummyHash ??= hashNow(randomString(32));
    await verifyNow(typeof raw === 'string' ? raw : '', await dummyHash);
  } catch {
    dummyHash = undefined;
  }
  return INVALID;
}

/**
 * Spend as long as verifying a password against a real hash at our parameters, for
 * unknown users (so a missing account is not distinguishable by timing).
 * @returns nothing; the outcome is always "no match".
 * @throws never.
 */
export async function fakeVerify(raw: string): Promise<void> {
  await hashingSlots.run(() => dummyVerify(raw));
}

/**
 * Django's unusable-password marker (what `set_unusable_password()` stores).
 * @returns `!` followed by 40 random ASCII letters and digits. Never throws.
 */
export function unusablePassword(): string {
  return UNUSABLE_PREFIX + randomString(40);
}

/** Uniformly random string over [a-zA-Z0-9] (Django's get_random_string alphabet). */
function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += RANDOM_CHARS[randomInt(RANDOM_CHARS.length)];
  return out;
}

/** Constant-time equality of two byte strings; unequal lengths compare false. */
function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Parse a positive decimal integer of at most 10 digits, else NaN. */
function parseCount(s: string | undefined): number {
  return s !== undefined && /^[1-9][0-9]{0,9}$/.test(s) ? Number(s) : NaN;
}

/** Decode standard base64 (padding optional) strictly; null if not base64. */
function decodeB64(s: string): Buffer | null {
  return B64.test(s) && s.replace(/=+$/, '').length % 4 !== 1 ? Buffer.from(s, 'base64') : null;
}

/** `pbkdf2_<digest>$<iterations>$<salt>$<base64 hash>`; the salt is used as UTF-8 text. null when malformed or over-cost (nothing computed). */
async function verifyPbkdf2(raw: string, encoded: string): Promise<VerifyResult | null> {
  const parts = encoded.split('$');
  if (parts.length !== 4) return null;
  const [algorithm, iterText, salt, stored] = parts as [keyof typeof PBKDF2_DIGESTS, string, string, string];
  const [digest, size] = PBKDF2_DIGESTS[algorithm];
  const iterations = parseCount(iterText);
  if (!(iterations <= LIMITS.pbkdf2MaxIterations) || !salt || salt.length > LIMITS.pbkdf2MaxSaltLength) return null;
  const expected = decodeB64(stored);
  if (!expected || expected.length !== size) return null;
  const actual = await pbkdf2Async(raw, salt, iterations, size, digest);
  return bytesEqual(actual, expected) ? { valid: true, mustUpdate: true } : INVALID;
}

/** `argon2$<type>$[v=<n>$]m=<n>,t=<n>,p=<n>$<salt b64>$<hash b64>` (no `v=` means 0x10). null when malformed or over-cost (nothing computed). */
async function verifyArgon2(raw: string, encoded: string): Promise<VerifyResult | null> {
  const parts = encoded.split('$');
  if (parts.length === 5) parts.splice(2, 0, 'v=16');
  if (parts.length !== 6) return null;
  const [, typeName, versionText, paramText, saltText, hashText] = parts as [string, string, string, string, string, string];
  if (!Object.hasOwn(ARGON2_TYPES, typeName)) return null;
  const version = versionText === 'v=19' ? 0x13 : versionText === 'v=16' ? 0x10 : NaN;
  const params = parseArgon2Params(paramText);
  if (!params || Number.isNaN(version)) return null;
  const { m, t, p } = params;
  const salt = decodeB64(saltText);
  const expected = decodeB64(hashText);
  if (
    !(m <= LIMITS.argon2MaxMemoryCost && t <= LIMITS.argon2MaxTimeCost && p <= LIMITS.argon2MaxParallelism) ||
    !salt || salt.length < LIMITS.argon2MinSaltBytes || salt.length > LIMITS.argon2MaxSaltBytes ||
    !expected || expected.length < LIMITS.argon2MinHashBytes || expected.length > LIMITS.argon2MaxHashBytes
  ) {
    return null;
  }
  const actual = await argon2.hash(raw, {
    raw: true,
    type: ARGON2_TYPES[typeName as keyof typeof ARGON2_TYPES],
    version,
    memoryCost: m,
    timeCost: t,
    parallelism: p,
    hashLength: expected.length,
    salt,
  });
  if (!bytesEqual(actual, expected)) return INVALID;
  const P = PASSWORD_HASHER_PARAMS;
  const current =
    typeName === P.type && version === P.version && m === P.memoryCost && t === P.timeCost &&
    p === P.parallelism && expected.length === P.hashLength;
  return { valid: true, mustUpdate: !current };
}

/** `m=<n>,t=<n>,p=<n>` in any order, each exactly once; null otherwise. */
function parseArgon2Params(text: string): { m: number; t: number; p: number } | null {
  const found = new Map<string, number>();
  for (const item of text.split(',')) {
    const match = /^([mtp])=([0-9]+)$/.exec(item);
    if (!match || found.has(match[1]!)) return null;
    found.set(match[1]!, parseCount(match[2]));
  }
  const [m, t, p] = [found.get('m'), found.get('t'), found.get('p')];
  return m !== undefined && t !== undefined && p !== undefined ? { m, t, p } : null;
}
