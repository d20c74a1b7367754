/** The course's own small endpoints, and health. */
import { ServiceUnavailable } from '../errors';
import type { Handler, OperationId } from './types';

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
  async healthz(call) {
    try {
      await call.services.db.ping();
    } catch (err) {
      throw new ServiceUnavailable('Database unavailable.', undefined, { cause: err });
    }
    return { status: 200, body: { status: 'ok' } };
  },
} satisfies { [K in OperationId]?: Handler<K> };
