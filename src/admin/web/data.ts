/** Loaders shared by several pages, through the typed SDK. */
import type { Schemas } from '../../client';
import { problems } from './forms';
import { authed } from './session';

export type AdminUser = Schemas['AdminUser'];
export type AdminGroup = Schemas['AdminGroup'];
export type AuditEntry = Schemas['AuditEntry'];
export type AuditKind = Schemas['AuditKind'];

/** A failed load, with the API's message. */
export class LoadFailed extends Error {
  constructor(readonly status: number, readonly messages: readonly string[]) {
    super(messages.join(' '));
  }
}

/** Every group (the API pages by 100 at most: all pages are read). */
export async function allGroups(): Promise<AdminGroup[]> {
  const groups: AdminGroup[] = [];
  for (let page = 1; ; page++) {
    const { data, error, response } = await authed((api) => api.GET('/api/admin/groups', { params: { query: { page: String(page), page_size: '100' } } }));
    if (!data) throw new LoadFailed(response.status, problems(error, response.status).form);
    groups.push(...data.results);
    if (!data.next) return groups;
  }
}

/** The audit kinds, in the spec's order, with words for them. */
export const AUDIT_KINDS: readonly (readonly [AuditKind, string])[] = [
  ['login', 'Signed in'],
  ['login_failed', 'Sign-in failed'],
  ['token_created', 'Key created'],
  ['token_revoked', 'Key or token revoked'],
  ['jwt_family_revoked', 'JWT family revoked'],
  ['logout_all', 'Signed out everywhere'],
  ['password_changed', 'Password changed'],
  ['password_reset', 'Password reset'],
  ['user_created', 'User created'],
  ['user_updated', 'User changed'],
  ['user_deleted', 'User deleted'],
  ['group_created', 'Group created'],
  ['group_deleted', 'Group deleted'],
  ['group_member_added', 'Added to group'],
  ['group_member_removed', 'Removed from group'],
];

export function kindLabel(kind: string): string {
  return AUDIT_KINDS.find(([k]) => k === kind)?.[1] ?? kind;
}
