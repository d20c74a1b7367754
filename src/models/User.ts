import { Model, Pojo } from 'objection';

const BOOLEAN_COLUMNS = ['is_superuser', 'is_staff', 'is_active'] as const;

/** A row of `auth_user` (Django's columns), times in epoch milliseconds. */
export class User extends Model {
  static override tableName = 'auth_user';

  id!: number;
  password!: string;
  last_login!: number | null;
  is_superuser!: boolean;
  username!: string;
  first_name!: string;
  last_name!: string;
  email!: string;
  is_staff!: boolean;
  is_active!: boolean;
  date_joined!: number;
  tokens_valid_after!: number;

  /** SQLite hands booleans back as 0/1. */
  override $parseDatabaseJson(json: Pojo): Pojo {
    const parsed = super.$parseDatabaseJson(json);
    for (const c of BOOLEAN_COLUMNS) if (c in parsed) parsed[c] = Boolean(parsed[c]);
    return parsed;
  }

  static override get relationMappings() {
    // Required lazily: Group imports User.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Group } = require('./Group') as typeof import('./Group');
    return {
      groups: {
        relation: Model.ManyToManyRelation,
        modelClass: Group,
        join: {
          from: 'auth_user.id',
          through: { from: 'auth_user_groups.user_id', to: 'auth_user_groups.group_id' },
          to: 'auth_group.id',
        },
      },
    };
  }
}
