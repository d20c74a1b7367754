/**
 * Permissions, one small class each (DRF's BasePermission), and the `x-roles` names that
 * select them. An operation's roles are OR'd: anyOf(...).
 */
import { ImproperlyConfigured } from '../errors';
import type { Permission, RequestInfo } from './types';

export class AllowAny implements Permission {
  hasPermission(): boolean {
    return true;
  }
}

export class IsAuthenticated implements Permission {
  hasPermission(req: RequestInfo): boolean {
    return req.principal !== null;
  }
}

/** DRF's IsAdminUser: the `is_staff` flag. */
export class IsAdminUser implements Permission {
  hasPermission(req: RequestInfo): boolean {
    return req.principal?.isStaff === true;
  }
}

/** Membership of a named group (one of the spec's `x-groups`). */
export class InGroup implements Permission {
  constructor(private readonly group: string) {}
  async hasPermission(req: RequestInfo): Promise<boolean> {
    return req.principal !== null && (await req.principal.groups()).has(this.group);
  }
}

/** djoser's CurrentUserOrAdmin, the "self" half: any authenticated user here; the object check decides. */
export class IsCurrentUser implements Permission {
  hasPermission(req: RequestInfo): boolean {
    return req.principal !== null;
  }
  hasObjectPermission(req: RequestInfo, obj: unknown): boolean {
    return req.principal !== null && (obj as { id?: unknown } | null)?.id === req.principal.id;
  }
}

/** DRF's `|`: allowed when any one allows (for the object check: any that passed the first check). */
export function anyOf(...permissions: Permission[]): Permission {
  return {
    async hasPermission(req) {
      for (const p of permissions) if (await p.hasPermission(req)) return true;
      return false;
    },
    async hasObjectPermission(req, obj) {
      for (const p of permissions) {
        if ((await p.hasPermission(req)) && (p.hasObjectPermission ? await p.hasObjectPermission(req, obj) : true)) return true;
      }
      return false;
    },
  };
}

/** A role `x-roles` may name besides a group: the permission it stands for, and its words in the operation descriptions. */
export interface BuiltInRole {
  readonly permission: () => Permission;
  readonly words: string;
}

/** The built-in role names of `x-roles`. Any other name is a group's (`x-groups`). */
export const BUILT_IN_ROLES: Readonly<Record<string, BuiltInRole>> = Object.freeze({
  anyone: { permission: () => new AllowAny(), words: 'anyone' },
  authenticated: { permission: () => new IsAuthenticated(), words: 'any authenticated user' },
  admin: { permission: () => new IsAdminUser(), words: 'an admin (is_staff)' },
  self: { permission: () => new IsCurrentUser(), words: 'the user themself' },
});

/**
 * The permission for an operation's `x-roles`: built-in names, or a group name (which must
 * exist in `knownGroups`). Raises ImproperlyConfigured for an unknown one.
 */
export function permissionFor(roles: readonly string[], knownGroups: ReadonlySet<string>): Permission {
  const parts = roles.map((role) => {
    if (Object.hasOwn(BUILT_IN_ROLES, role)) return BUILT_IN_ROLES[role].permission();
    if (!knownGroups.has(role)) throw new ImproperlyConfigured(`x-roles: unknown role or group ${JSON.stringify(role)}`);
    return new InGroup(role);
  });
  return parts.length === 1 ? parts[0] : anyOf(...parts);
}
