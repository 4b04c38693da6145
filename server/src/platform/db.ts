import { setTimeout as delay } from "node:timers/promises";
import type { EntitySchema } from "@mikro-orm/core";
import {
  ConnectionException,
  isRaw,
  MikroORM,
  PostgreSqlConnection,
  PostgreSqlDriver,
  type Configuration,
  type NativeQueryBuilder,
  type RawQueryFragment,
} from "@mikro-orm/postgresql";
import { Migrator } from "@mikro-orm/migrations";
import type { Pool, PoolClient } from "pg";
import type { Logger } from "pino";
import { migrationsList } from "../migrations";
import { AuditEventSchema } from "./audit.entity";
import { DomainEventSchema } from "./outbox";

export type Orm = MikroORM;

/** The platform's own tables: the audit trail and the domain event outbox. */
const PLATFORM_ENTITIES = [AuditEventSchema, DomainEventSchema];

/**
 * SQLSTATEs of a connection that is gone: class 08 (connection exception), and the server ending
 * the session (57P01 admin shutdown, as `pg_terminate_backend` does; 57P02 crash; 57P03 starting up
 * or shutting down; 57P05 idle session timeout).
 */
const LOST_CONNECTION_STATES = /^(08...|57P0[1235])$/;
/** Socket errors of a connection that is gone or was never made. */
const LOST_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);
/** What `pg` says, without a code, about a client whose connection died or could not be made. */
const LOST_CLIENT_MESSAGES = [
  "Connection terminated",
  "Client has encountered a connection error and is not queryable",
  "Client was closed and is not queryable",
  "timeout exceeded when trying to connect",
];

/**
 * The error says the database connection was lost or could not be made (not that a statement was
 * wrong): the statement may be retried on a fresh connection when that is safe, else the request
 * is answered 503. Looks through MikroORM's wrapping (it copies the driver error's code and message).
 */
export function isConnectionLoss(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof ConnectionException) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (LOST_CONNECTION_STATES.test(code) || LOST_SOCKET_CODES.has(code))) return true;
    if (LOST_CLIENT_MESSAGES.some((message) => current instanceof Error && current.message.startsWith(message))) return true;
  }
  return false;
}

/**
 * Waited before anything runs again after a lost connection. A server that ended one session
 * usually ended the others at the same moment (a restart, an operator's `pg_terminate_backend`),
 * and the pool drops those idle sessions only once it has read the server's message on each: the
 * pause lets it, so the retry gets a live connection rather than the next dead one.
 */
export const pauseBeforeRetry = () => delay(50);

const sqlOf = (query: string | NativeQueryBuilder | RawQueryFragment) =>
  typeof query === "string" ? query : isRaw(query) ? query.sql : query.toRaw().sql;

/**
 * MikroORM's PostgreSQL connection, plus one more try on a fresh connection where that cannot do
 * anything twice: a read outside a transaction (a statement starting with `select`; in autocommit
 * it either ran or not, and reading twice changes nothing), and the start of a transaction (BEGIN
 * failed, so nothing of it ran). Statements inside a transaction are not retried here: the
 * transaction is gone with its connection (see `writeTransaction`).
 */
class RetryingConnection extends PostgreSqlConnection {
  override async execute<T extends Awaited<ReturnType<PostgreSqlConnection["execute"]>>>(
    ...args: Parameters<PostgreSqlConnection["execute"]>
  ): Promise<T> {
    try {
      return await super.execute<T>(...args);
    } catch (error) {
      const [query, , , transaction] = args;
      if (transaction || !isConnectionLoss(error) || !/^\s*select\b/i.test(sqlOf(query))) throw error;
      await pauseBeforeRetry();
      return super.execute<T>(...args);
    }
  }

  override async begin(options: Parameters<PostgreSqlConnection["begin"]>[0] = {}) {
    try {
      return await super.begin(options);
    } catch (error) {
      // A savepoint (`ctx`) lives on its transaction's connection: nothing fresh to go to.
      if (options.ctx || !isConnectionLoss(error)) throw error;
      await pauseBeforeRetry();
      return super.begin(options);
    }
  }
}

class RetryingPostgreSqlDriver extends PostgreSqlDriver {
  constructor(config: Configuration) {
    super(config);
    // PostgreSqlDriver fixes its connection class; the connection is not opened until init connects it.
    Object.assign(this, { connection: new RetryingConnection(config) });
  }
}

/**
 * A client whose connection is gone leaves the pool at once, whether idle or checked out.
 *
 * - The server ended the session (a FATAL error: `pg_terminate_backend`, a shutdown, a session
 *   timeout): a query failing with it can release its client before the socket's end arrives, and
 *   the next request would get a dead connection.
 * - A checked-out client that dies may never be released: kysely 0.29's `startTransaction().execute()`
 *   does not release the connection when its BEGIN fails, so each BEGIN on a dead connection would
 *   keep a pool slot forever, and once `max` are lost every request waits for a connection
 *   (`tests/integration/pg-faults.test.ts` hung that way). pg-pool has no public way to forget a
 *   checked-out client, so this uses its own `_remove` (what its release does for a broken client);
 *   a later release by the holder removes nothing more.
 */
function dropClientsTheServerEnded(pool: Pool): void {
  const internals = pool as unknown as { _clients: PoolClient[]; _remove(client: PoolClient, callback: () => void): void; _pulseQueue(): void };
  const leave = (client: PoolClient) => {
    if (internals._clients.includes(client)) internals._remove(client, () => internals._pulseQueue());
  };
  pool.on("connect", (client) => {
    client.connection.on("errorMessage", (message: { severity?: string; code?: string }) => {
      const fatal = message.severity === "FATAL" || message.severity === "PANIC" || LOST_CONNECTION_STATES.test(message.code ?? "");
      if (fatal) leave(client);
    });
    client.on("end", () => leave(client));
  });
}

/** The ORM over the platform's tables and the modules' (`entities`: every module's, from the module list). */
export async function createOrm(
  databaseUrl: string,
  options: { entities: EntitySchema[]; poolMax?: number; migrationsPath?: string },
): Promise<Orm> {
  const orm = await MikroORM.init({
    driver: RetryingPostgreSqlDriver,
    clientUrl: databaseUrl,
    entities: [...PLATFORM_ENTITIES, ...options.entities],
    extensions: [Migrator],
    pool: { min: 0, max: options.poolMax ?? 20 },
    // Schema changes only ever come from migrations, never from runtime auto-sync.
    ensureDatabase: false,
    allowGlobalContext: false,
    debug: false,
    migrations: {
      migrationsList,
      path: options.migrationsPath ?? "server/src/migrations",
      pathTs: options.migrationsPath ?? "server/src/migrations",
      emit: "ts",
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
  });
  dropClientsTheServerEnded(await orm.em.getConnection().getNativeClient());
  return orm;
}

/** Applies pending migrations; returns the names applied (empty when the schema is current). */
export async function migrate(orm: Orm, log?: Logger): Promise<string[]> {
  const applied = await orm.migrator.up();
  const names = applied.map((migration) => migration.name);
  if (names.length > 0) log?.info({ migrations: names }, "applied migrations");
  return names;
}
