/**
 * kvctl's auth flag, `--user NAME`: the password comes from password-prompt.ts, never from the
 * command line (it would show in `ps` and shell history). Kept apart from the other global flags
 * so the TLS flags can sit beside it without conflict.
 */
import type { FlagSpecs } from './args.js';

export const AUTH_FLAGS: FlagSpecs = {
  user: { type: 'string', value: 'NAME', help: 'log in as NAME when auth is on (password: env KVCTL_PASSWORD, else a prompt)' },
};
