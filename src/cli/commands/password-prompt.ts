/**
 * How kvctl reads a password: from an environment variable if set, else a prompt on the terminal
 * that echoes nothing. A password is never printed or logged.
 */
import type { Credentials } from '../../client/kv-client.js';
import { UsageError, type Flags } from './args.js';

/** Reads one line from a TTY without echoing it. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY !== true) return Promise.reject(new UsageError(`${prompt.trim()} needed, but stdin is not a terminal: set the password in the environment`));
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (result: () => void): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      result();
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(() => resolve(text));
        if (char === '\u0003') return done(() => reject(new UsageError('interrupted')));
        text = char === '\u007f' || char === '\b' ? text.slice(0, -1) : text + char;
      }
      return undefined;
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** A password from `envName`, else the hidden prompt. */
export async function readPassword(envName: string, prompt: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return promptHidden(prompt);
}

/** The SDK credentials for `--user`, or undefined without it. */
export async function kvctlCredentials(flags: Flags): Promise<Credentials | undefined> {
  const user = flags.string('user');
  if (user === undefined) return undefined;
  if (user === '') throw new UsageError('--user needs a user name');
  return { user, password: await readPassword('KVCTL_PASSWORD', `Password of ${user}: `) };
}
