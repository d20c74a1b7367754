/** djoser's user endpoints (in progress: answered 501 until they land). */
import { NotImplemented } from '../errors';
import type { Handler, OperationId } from './types';

const notYet = async (): Promise<never> => {
  throw new NotImplemented();
};

export const userHandlers = {
  userList: notYet,
  userCreate: notYet,
  userMe: notYet,
  userMeUpdate: notYet,
  userMePartialUpdate: notYet,
  userMeDestroy: notYet,
  userRetrieve: notYet,
  userUpdate: notYet,
  userPartialUpdate: notYet,
  userDestroy: notYet,
  setPassword: notYet,
  setUsername: notYet,
  resetPassword: notYet,
  resetPasswordConfirm: notYet,
  activation: notYet,
  resendActivation: notYet,
} satisfies { [K in OperationId]?: Handler<K> };
