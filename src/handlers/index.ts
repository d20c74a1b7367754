/** Every operation's handler, keyed by operationId: `tsc` fails when one is missing. */
import { adminHandlers } from './admin';
import { authHandlers } from './auth';
import { courseHandlers } from './course';
import { groupHandlers } from './groups';
import { menuHandlers } from './menu';
import type { Handlers } from './types';
import { userHandlers } from './users';

export const handlers: Handlers = {
  ...authHandlers,
  ...courseHandlers,
  ...menuHandlers,
  ...groupHandlers,
  ...userHandlers,
  ...adminHandlers,
};
