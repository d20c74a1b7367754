import { Model } from 'objection';
import { User } from './User';

/** A row of `auth_group`. `Manager` and `Delivery crew` exist after migration. */
export class Group extends Model {
  static override tableName = 'auth_group';
  id!: number;
  name!: string;

  static override get relationMappings() {
    return {
      users: {
        relation: Model.ManyToManyRelation,
        modelClass: User,
        join: {
          from: 'auth_group.id',
          through: { from: 'auth_user_groups.group_id', to: 'auth_user_groups.user_id' },
          to: 'auth_user.id',
        },
      },
    };
  }
}
