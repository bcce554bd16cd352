/**
 * `kvctl user|role|auth` (etcdctl's user, role and auth commands, docs/auth.md). Changes go to
 * the meta group's leader through the SDK; once auth is enabled they need `--user root` (or
 * another user with role root). A new password comes from KVCTL_NEW_PASSWORD or a hidden prompt.
 */
import type { AuthChange } from '../../client/kv-client.js';
import { expectArgs, UsageError } from './args.js';
import { argBytes, cell, EXIT, json, type Command, type CommandContext, type ExitCode } from './context.js';
import { readPassword } from './password-prompt.js';

async function change(context: CommandContext, request: AuthChange, note: string): Promise<ExitCode> {
  const { enabled } = await context.client().authChange(request);
  context.out.show({ note, columns: [], rows: [], json: { ok: true, authEnabled: enabled } });
  return EXIT.ok;
}

function newPassword(name: string): Promise<string> {
  return readPassword('KVCTL_NEW_PASSWORD', `New password of ${name}: `);
}

async function listUsers(context: CommandContext): Promise<ExitCode> {
  const { users } = await context.client().authList();
  context.out.show({ columns: ['USER', 'ROLES'], rows: users.map((u) => [u.name, u.roles.join(',') || '-']), json: users });
  return EXIT.ok;
}

async function user(context: CommandContext): Promise<ExitCode> {
  const [verb, ...rest] = context.args;
  switch (verb) {
    case 'list':
      expectArgs(rest, [], 'user list');
      return listUsers(context);
    case 'add': {
      const [name = ''] = expectArgs(rest, ['NAME'], 'user add');
      return change(context, { action: 'user-add', name, password: await newPassword(name) }, `Added user "${name}"`);
    }
    case 'passwd': {
      const [name = ''] = expectArgs(rest, ['NAME'], 'user passwd');
      return change(context, { action: 'user-passwd', name, password: await newPassword(name) }, `Changed the password of "${name}"`);
    }
    case 'delete': {
      const [name = ''] = expectArgs(rest, ['NAME'], 'user delete');
      return change(context, { action: 'user-delete', name }, `Deleted user "${name}"`);
    }
    case 'grant-role':
    case 'revoke-role': {
      const [name = '', role = ''] = expectArgs(rest, ['NAME', 'ROLE'], `user ${verb}`);
      const granted = verb === 'grant-role';
      return change(context, { action: granted ? 'user-grant-role' : 'user-revoke-role', name, role }, `${granted ? 'Granted' : 'Revoked'} role "${role}" ${granted ? 'to' : 'from'} "${name}"`);
    }
    default:
      throw new UsageError(verb === undefined ? 'user: missing a subcommand' : `user: unknown subcommand "${verb}" (add, list, delete, passwd, grant-role, revoke-role)`, 'user');
  }
}

/** KEY [RANGE_END] or, with --prefix, KEY as a prefix; RANGE_END "\0" (--hex 00) is "to the end". */
function range(context: CommandContext, args: readonly string[], command: string): { key: Uint8Array; rangeEnd?: Uint8Array; prefix: boolean } {
  const [key, end, extra] = args;
  if (key === undefined || extra !== undefined) throw new UsageError(`${command}: give KEY [RANGE_END]`, 'role');
  const prefix = context.flags.bool('prefix');
  return { key: argBytes(context, key, 'key'), ...(end === undefined ? {} : { rangeEnd: argBytes(context, end, 'range end') }), prefix };
}

async function listRoles(context: CommandContext): Promise<ExitCode> {
  const { roles } = await context.client().authList();
  const rows = roles.flatMap((r) => (r.permissions.length === 0 ? [[r.name, '-', '-', '-']] : r.permissions.map((p) => [r.name, p.type, cell(context, p.key), p.rangeEnd.byteLength === 0 ? 'end' : cell(context, p.rangeEnd)])));
  context.out.show({
    columns: ['ROLE', 'PERMISSION', 'FROM', 'TO (exclusive)'], rows,
    json: roles.map((r) => ({ name: r.name, permissions: r.permissions.map((p) => ({ type: p.type, key: json(context, p.key), rangeEnd: json(context, p.rangeEnd) })) })),
  });
  return EXIT.ok;
}

async function role(context: CommandContext): Promise<ExitCode> {
  const [verb, ...rest] = context.args;
  switch (verb) {
    case 'list':
      expectArgs(rest, [], 'role list');
      return listRoles(context);
    case 'add':
    case 'delete': {
      const [name = ''] = expectArgs(rest, ['NAME'], `role ${verb}`);
      return change(context, { action: verb === 'add' ? 'role-add' : 'role-delete', name }, `${verb === 'add' ? 'Added' : 'Deleted'} role "${name}"`);
    }
    case 'grant': {
      const [name = '', permission = '', ...keys] = rest;
      if (permission !== 'read' && permission !== 'write' && permission !== 'readwrite') throw new UsageError('role grant: PERMISSION must be read, write or readwrite', 'role');
      return change(context, { action: 'role-grant', name, permission, ...range(context, keys, 'role grant') }, `Granted ${permission} to role "${name}"`);
    }
    case 'revoke': {
      const [name = '', ...keys] = rest;
      return change(context, { action: 'role-revoke', name, ...range(context, keys, 'role revoke') }, `Revoked the permission from role "${name}"`);
    }
    default:
      throw new UsageError(verb === undefined ? 'role: missing a subcommand' : `role: unknown subcommand "${verb}" (add, list, delete, grant, revoke)`, 'role');
  }
}

async function auth(context: CommandContext): Promise<ExitCode> {
  const [verb, ...rest] = context.args;
  expectArgs(rest, [], `auth ${verb ?? ''}`);
  if (verb === 'enable' || verb === 'disable') return change(context, { action: verb }, `Authentication ${verb}d`);
  if (verb !== 'status') throw new UsageError(verb === undefined ? 'auth: missing enable, disable or status' : `auth: unknown subcommand "${verb}" (enable, disable, status)`, 'auth');
  const status = await context.client().authStatus();
  const as = status.user === '' ? 'nobody (no credential)' : `${status.user} (by ${status.via})`;
  context.out.show({ note: `Authentication ${status.enabled ? 'enabled' : 'disabled'}; this call ran as ${as}`, columns: [], rows: [], json: status });
  return EXIT.ok;
}

export const userCommand: Command = {
  name: 'user',
  brief: 'user add|list|delete|passwd|grant-role|revoke-role',
  usage: ['user add NAME', 'user list', 'user delete NAME', 'user passwd NAME', 'user grant-role NAME ROLE', 'user revoke-role NAME ROLE'],
  summary: 'manage users (auth)',
  details: 'add and passwd read the new password from KVCTL_NEW_PASSWORD, else a prompt that does not echo.\nOnce auth is enabled these need a user with role root (--user root).',
  flags: {},
  run: user,
};

export const roleCommand: Command = {
  name: 'role',
  brief: 'role add|list|delete|grant|revoke',
  usage: ['role add NAME', 'role list', 'role delete NAME', 'role grant NAME read|write|readwrite KEY [RANGE_END] [--prefix]', 'role revoke NAME KEY [RANGE_END] [--prefix]'],
  summary: 'manage roles and their key permissions (auth)',
  details: 'A permission covers one KEY, [KEY, RANGE_END), or with --prefix every key starting with KEY.\nThe role "root" may do everything, including cluster operations; it cannot be changed.',
  flags: { prefix: { type: 'boolean', help: 'role grant/revoke: KEY is a prefix' } },
  run: role,
};

export const authCommand: Command = {
  name: 'auth',
  brief: 'auth enable|disable|status',
  usage: ['auth enable', 'auth disable', 'auth status'],
  summary: 'turn authentication on or off, or show it',
  details: 'enable needs a user "root" (kvctl user add root), who gets role root.\nstatus shows whether auth is on and which identity the call ran as.',
  flags: {},
  run: auth,
};
