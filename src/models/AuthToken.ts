import { Model } from 'objection';

/** A DRF token, one per login/device; only the SHA-256 of the key is stored. */
export class AuthToken extends Model {
  static override tableName = 'authtoken_token';
  id!: number;
  key_hash!: string;
  user_id!: number;
  created!: number;
  last_used!: number | null;
}
