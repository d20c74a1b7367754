/** What handlers and policies are given: built once in createApp, passed by constructor. */
import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import type { Settings } from '../settings';
import type { ThrottleRegistry } from '../policies/throttling';
import type { JwtService } from '../tokens/tokens';
import type { TokenKeys } from './accounts';
import type { Mailer } from './mail';

export interface Services {
  readonly settings: Settings;
  readonly db: Db;
  readonly log: Logger;
  readonly jwt: JwtService;
  readonly keys: TokenKeys;
  readonly throttles: ThrottleRegistry;
  readonly mailer: Mailer;
  /** The clock, in epoch milliseconds (tests may inject one). */
  readonly now: () => number;
}
