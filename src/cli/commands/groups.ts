/** creategroup, addtogroup and removefromgroup: auth_group and auth_user_groups by name. */
import { GroupNameTaken } from '../../data/users';
import { getGroup, getUser } from '../accounts';
import { CommandError, arg } from '../args';
import type { Command } from '../context';
import { groupNameErrors } from '../fields';

export const creategroup: Command = {
  summary: 'Create a group.',
  positionals: [{ name: 'NAME' }],
  options: {},
  async run(ctx, parsed) {
    const name = arg(parsed, 'NAME').trim();
    const problems = groupNameErrors(name);
    if (problems.length > 0) throw new CommandError(problems.join('; '));
    try {
      await (await ctx.services()).admin.createGroup(name, { kind: 'group_created', detail: { via: 'manage creategroup' } });
    } catch (err) {
      if (err instanceof GroupNameTaken) throw new CommandError(`group '${name}' already exists`, { cause: err });
      throw err;
    }
    ctx.io.out(`Group '${name}' created.`);
  },
};

export const addtogroup: Command = {
  summary: 'Add a user to a group (nothing to do when already a member).',
  positionals: [{ name: 'USER' }, { name: 'GROUP' }],
  options: {},
  async run(ctx, parsed) {
    const services = await ctx.services();
    const user = await getUser(services, arg(parsed, 'USER'));
    const group = await getGroup(services, arg(parsed, 'GROUP'));
    const member = { id: user.id, username: user.username };
    const added = await services.admin.addMember(user.id, group, { kind: 'group_member_added', user: member, detail: { via: 'manage addtogroup' } });
    ctx.io.out(added ? `Added '${user.username}' to group '${group.name}'.` : `'${user.username}' is already in group '${group.name}'.`);
  },
};

export const removefromgroup: Command = {
  summary: 'Remove a user from a group (nothing to do when not a member).',
  positionals: [{ name: 'USER' }, { name: 'GROUP' }],
  options: {},
  async run(ctx, parsed) {
    const services = await ctx.services();
    const user = await getUser(services, arg(parsed, 'USER'));
    const group = await getGroup(services, arg(parsed, 'GROUP'));
    const member = { id: user.id, username: user.username };
    const removed = await services.admin.removeMember(user.id, group, { kind: 'group_member_removed', user: member, detail: { via: 'manage removefromgroup' } });
    ctx.io.out(removed ? `Removed '${user.username}' from group '${group.name}'.` : `'${user.username}' is not in group '${group.name}'.`);
  },
};
