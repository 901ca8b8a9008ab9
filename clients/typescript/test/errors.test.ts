import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AR_ERROR_CODES, AgentRuntimeClient, AgentRuntimeError, InvalidArgumentError, NotFoundError, toAgentRuntimeError,
} from '../src/client/index.js';
import { connectionString } from './support.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('AR errors', () => {
  const client = new AgentRuntimeClient({ connectionString });
  afterAll(() => client.end());

  it('lists every code of docs/errors.md, with its name', () => {
    const doc = readFileSync(path.join(repo, 'docs', 'errors.md'), 'utf8');
    const documented = Object.fromEntries([...doc.matchAll(/^\| `(AR\d{3})` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(documented).length).toBeGreaterThan(20);
    expect(AR_ERROR_CODES).toEqual(documented);
  });

  it('rejects with the typed error of the SQLSTATE, its message and hint', async () => {
    const error = await client.getTask('00000000-0000-7000-8000-000000000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(AgentRuntimeError);
    const typed = error as NotFoundError;
    expect(typed.code).toBe('AR011');
    expect(typed.codeName).toBe('task_not_found');
    expect(typed.message).toContain('00000000-0000-7000-8000-000000000000');
    expect(typed.hint).toBeTruthy();
    expect((typed.cause as { code?: string }).code).toBe('AR011');
  });

  it('maps codes of one category to one class, and leaves other errors alone', async () => {
    const bad = await client.listTasks({ status: 'nonsense' as never }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect((bad as AgentRuntimeError).code).toBe('AR001');
    const unknownKey = await client.listTasks({ nonsense: 1 } as never).catch((e: unknown) => e);
    expect(unknownKey).toBeInstanceOf(InvalidArgumentError);
    expect((unknownKey as AgentRuntimeError).code).toBe('AR003');

    const syntax = await client.db.query('select from nowhere_at_all').catch((e: unknown) => e);
    expect(syntax).not.toBeInstanceOf(AgentRuntimeError);
    expect((syntax as { code?: string }).code).toBe('42P01');
    const plain = new Error('not a database error');
    expect(toAgentRuntimeError(plain)).toBe(plain);
  });

  it('gives an AR code it does not know a plain AgentRuntimeError', () => {
    const raised = Object.assign(new Error('from a newer runtime'), { code: 'AR999', severity: 'ERROR', hint: 'upgrade the client' });
    const typed = toAgentRuntimeError(raised) as AgentRuntimeError;
    expect(typed.constructor).toBe(AgentRuntimeError);
    expect(typed.code).toBe('AR999');
    expect(typed.codeName).toBeUndefined();
    expect(typed.hint).toBe('upgrade the client');
  });
});
