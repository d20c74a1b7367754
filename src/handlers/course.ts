/** The course's own small endpoints, and health. */
import { ServiceUnavailable } from '../errors';
import type { Handler, OperationId } from './types';

/** How long a readiness probe waits for each backing service. */
const READINESS_TIMEOUT_MS = 2000;

/** Whether `probe` resolves within READINESS_TIMEOUT_MS. */
async function answers(probe: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READINESS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe().then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

const successful = async () => ({ status: 200 as const, body: { message: 'successful' } });

export const courseHandlers = {
  async secret() {
    return { status: 200, body: { message: 'Some secret message' } };
  },
  async managerView() {
    return { status: 200, body: { message: 'Only Manager should see this' } };
  },
  throttleCheck: successful,
  throttleCheckAuth: successful,
  tenCalls: successful,
  /** Liveness: no I/O, so a backing service that is down does not get a healthy process restarted. */
  async healthz() {
    return { status: 200, body: { status: 'ok' } };
  },
  /** Readiness: the database and (when configured) Redis answer, each within READINESS_TIMEOUT_MS. */
  async readyz(call) {
    const { db, redis } = call.services;
    const [database, cache] = await Promise.all([answers(() => db.ping()), redis ? answers(() => redis.ping()) : null]);
    const state = (up: boolean) => (up ? ('ok' as const) : ('down' as const));
    const checks: { database: 'ok' | 'down'; redis?: 'ok' | 'down' } = { database: state(database) };
    if (cache !== null) checks.redis = state(cache);
    if (database && cache !== false) return { status: 200, body: { status: 'ready', checks } };
    const down = Object.entries(checks).filter(([, v]) => v === 'down').map(([k]) => (k === 'database' ? 'the database' : 'Redis'));
    throw new ServiceUnavailable({ detail: `Not ready: ${down.join(' and ')} did not answer.`, status: 'unavailable', checks });
  },
} satisfies { [K in OperationId]?: Handler<K> };
