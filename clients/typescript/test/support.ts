// What the tests share: the test database, unique names, and login roles made for a test
// (roles are cluster-wide, so each is unique and dropped afterwards).
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const connectionString = process.env.AGENT_RUNTIME_TEST_CONNECTION!;

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A pool as the test database's superuser (for setup and for looking at the tables). */
export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 4 });
  pool.on('error', () => {});
  return pool;
}

export async function scalar<T>(pool: pg.Pool, sql: string, values: unknown[] = []): Promise<T> {
  const result = await pool.query(sql, values);
  const row = result.rows[0] as Record<string, unknown> | undefined;
  return (row === undefined ? undefined : row[Object.keys(row)[0]!]) as T;
}

/** The connection string of `user` (password `password`) on the test database. */
export function connectionStringFor(user: string, password: string): string {
  const url = new URL(connectionString.startsWith('postgres') ? connectionString : `postgresql://x@localhost/${connectionString}`);
  url.username = user;
  url.password = password;
  return url.toString();
}

/** Login roles for one test file, members of the runtime's roles; `drop()` removes them. */
export class Logins {
  private readonly names: string[] = [];
  constructor(private readonly admin: pg.Pool) {}

  async create(...memberOf: string[]): Promise<{ name: string; connectionString: string }> {
    const name = `test_ts_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const password = randomUUID();
    await this.admin.query(`create role ${name} login password '${password}'`);
    this.names.push(name);
    for (const role of memberOf) {
      await this.admin.query(`grant ${role} to ${name}`);
    }
    return { name, connectionString: connectionStringFor(name, password) };
  }

  async drop(): Promise<void> {
    for (const name of this.names) {
      await this.admin.query('delete from agent_runtime.tenant_bindings where role_name = $1', [name]);
      await this.admin.query(`drop owned by ${name} cascade`);
      await this.admin.query(`drop role ${name}`);
    }
  }
}
