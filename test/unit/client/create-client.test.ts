// Goal: createClient() refuses bad options up front, naming the option, and connects lazily.
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../src/client/kv-client.js';

describe('createClient()', () => {
  it.each([
    [{ endpoints: [] }, 'endpoints'],
    [{ endpoints: ['  '] }, 'endpoints'],
    [{ endpoints: ['no-port'] }, 'endpoints'],
    [{ endpoints: ['a:1'], defaultDeadlineMs: 0 }, 'defaultDeadlineMs'],
    [{ endpoints: ['a:1'], sessionsMax: 0 }, 'sessionsMax'],
    [{ endpoints: ['a:1'], sessionId: '' }, 'sessionId'],
    [{ endpoints: ['a:1'], sessionId: 'x'.repeat(101) }, 'sessionId'],
    [{ endpoints: ['a:1'], retry: { attemptsMax: 0 } }, 'retry.attemptsMax'],
  ])('refuses %o naming %s', (options, field) => {
    expect(() => createClient(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field } }));
  });

  it('trims and deduplicates endpoints and opens no connection until the first call', () => {
    const client = createClient({ endpoints: [' a:1', 'a:1', 'b:2 '] });
    expect(client.endpoints).toEqual(['a:1', 'b:2']);
    expect(client.leader()).toBeUndefined();
    client.close();
  });

  it('a closed client refuses calls', async () => {
    const client = createClient({ endpoints: ['127.0.0.1:1'] });
    client.close();
    await expect(client.get('a')).rejects.toThrow(/client is closed/);
  });
});
