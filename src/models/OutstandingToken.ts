import { Model } from 'objection';

/** Every refresh token issued (simplejwt's token_blacklist app), so it can be blacklisted. */
export class OutstandingToken extends Model {
  static override tableName = 'token_blacklist_outstandingtoken';
  id!: number;
  user_id!: number | null;
  jti!: string;
  family!: string;
  created_at!: number;
  expires_at!: number;
}

export class BlacklistedToken extends Model {
  static override tableName = 'token_blacklist_blacklistedtoken';
  id!: number;
  token_id!: number;
  blacklisted_at!: number;
}
