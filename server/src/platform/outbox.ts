/**
 * Domain events through a transactional outbox (docs/architecture.md "Domain events").
 *
 * A writer calls `recordEvents(tx, events)` inside its transaction: the events are rows of `domain_event`
 * (one batch per call), committed or rolled back with the change, and leased to this node. After the
 * commit this node hands the batch to every subscriber that wants its events, in recording order,
 * without holding up the writer's reply. A subscriber that throws is retried (the batch keeps the
 * subscribers it still owes, with a back-off); a batch whose lease lapsed (its node died between
 * commit and delivery) is taken over by any node's sweep. So follow-up work survives a crash or a
 * Redis outage after the commit, and each subscriber must be idempotent by event id.
 */
import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { DomainEvent, DomainEventName, NewDomainEvent } from "@clinic/shared";
import type { Orm } from "./db";

/** One recorded domain event. Delivered rows are kept for a week (the sweep removes older ones). */
export const DomainEventSchema = defineEntity({
  name: "DomainEventRow",
  tableName: "domain_event",
  indexes: [
    { name: "domain_event_undelivered", properties: ["nextAttemptAt", "id"], where: "delivered_at IS NULL" },
    { properties: ["batchId"] },
    { name: "domain_event_delivered", properties: ["deliveredAt"], where: "delivered_at IS NOT NULL" },
  ],
  properties: {
    id: p.bigint().primary().autoincrement(),
    /** The events one `recordEvents` call wrote: delivered together, in id order. */
    batchId: p.uuid(),
    name: p.string().length(80),
    data: p.json(),
    occurredAt: p.datetime().defaultRaw("now()"),
    /** Subscribers that still owe it; null until the first delivery (then every subscriber that wants it). */
    pending: p.array().nullable(),
    attempts: p.integer().default(0),
    /** The node delivering it holds it until then; a lapsed lease lets any node's sweep take it over. */
    leaseUntil: p.datetime().nullable(),
    nextAttemptAt: p.datetime().nullable(),
    deliveredAt: p.datetime().nullable(),
    lastError: p.text().nullable(),
  },
});
export class DomainEventRow extends DomainEventSchema.class {}
DomainEventSchema.setClass(DomainEventRow);

/** A module's reaction to domain events after they commit. */
export interface Subscriber {
  /** Stable: stored with the events it still owes. */
  name: string;
  /** The events it wants. */
  wants(name: DomainEventName): boolean;
  /** One batch's wanted events, in recording order. Throwing retries them later; must be idempotent. */
  handle(events: DomainEvent[]): Promise<void>;
}

export interface Outbox {
  /** A batch `recordEvents` wrote in `transaction`: delivered here once it commits. */
  leased(transaction: object, batchId: string): void;
  /**
   * A batch written by one statement in autocommit (`insertEventsSql`, whose `returning id,
   * occurred_at` gives `events` their ids) that has committed: delivered now, as it was recorded.
   */
  committed(batchId: string, events: (NewDomainEvent & { id: string; occurredAt: Date })[]): void;
  /** Adds subscribers (the runtime, from every module's descriptor). */
  subscribe(subscribers: Subscriber[]): void;
  /** Delivers what lapsed or failed, now (the sweep's step; tests and the worker call it too). */
  sweep(): Promise<number>;
  /** Resolves once this node has delivered (or given up for now on) everything it started. */
  idle(): Promise<void>;
  /** Starts the sweep timer. */
  start(): void;
  stop(): Promise<void>;
}

/** Batches per sweep. */
const SWEEP_BATCHES = 50;
/** Delivered events are kept this long (for support and replays), then deleted by the sweep. */
const RETENTION = "7 days";

/** Each ORM's outbox, so a writer records with its transaction alone (as it records audit events). */
const outboxes = new WeakMap<object, Outbox>();

/** How long a node holds a batch for delivery before any sweep may take it over. */
const LEASE = "30 seconds";

/**
 * Records domain events in `tx` (call inside the transaction of the change): they commit or roll
 * back with it. This node's outbox hands them to the subscribers after the commit; written where no
 * runtime runs (a seed script), they wait for any node's sweep.
 */
export async function recordEvents(tx: EntityManager, events: readonly NewDomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  const batchId = randomUUID();
  await tx.execute(insertEventsSql("?", "?::jsonb"), [batchId, eventsJson(events)]);
  const transaction = tx.getTransactionContext() as object | undefined;
  if (!transaction) throw new Error("domain events are recorded inside a transaction");
  outboxes.get(tx.config)?.leased(transaction, batchId);
}

/** The events as `insertEventsSql`'s JSON array parameter. */
export const eventsJson = (events: readonly NewDomainEvent[]) => JSON.stringify(events.map((e) => ({ name: e.name, data: e.data ?? null })));

/**
 * SQL inserting a batch of events, in the array's order, leased to this node: `batch` and `events`
 * are SQL for the batch id and a JSON array of `{name, data}`; `when` (SQL) gates the insert. For a
 * writer whose whole change is one statement (a CTE in autocommit): after it succeeds, it calls
 * `outbox.committed(batchId)`.
 */
export const insertEventsSql = (batch: string, events: string, when = "true") =>
  `insert into domain_event (batch_id, name, data, lease_until)
   select ${batch}, e.value->>'name', e.value->'data', now() + interval '${LEASE}'
     from jsonb_array_elements(${events}) with ordinality as e(value, n) where ${when} order by e.n`;

interface Row {
  id: string;
  batch_id: string;
  name: DomainEventName;
  data: unknown;
  occurred_at: Date;
  pending: string[] | null;
  attempts: number;
}

export function createOutbox(options: { orm: Orm; log: Logger; sweepEveryMs: number }): Outbox {
  const { orm, log } = options;
  const subscribers: Subscriber[] = [];
  /** Batches recorded in a transaction still open, by the transaction object. */
  const open = new WeakMap<object, string[]>();
  /** Deliveries run one after another on a node, so its events reach subscribers in commit order. */
  let chain: Promise<void> = Promise.resolve();
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;

  orm.em.getEventManager().registerSubscriber({
    afterTransactionCommit({ transaction }) {
      // A savepoint's commit is not the commit: its batches wait for the sweep (rare: no writer nests).
      if (!transaction || (transaction as { savepointName?: string }).savepointName) return;
      const batches = open.get(transaction);
      if (!batches) return;
      open.delete(transaction);
      deliverCommitted(batches, []);
    },
    afterTransactionRollback({ transaction }) {
      if (transaction && !(transaction as { savepointName?: string }).savepointName) open.delete(transaction);
    },
  });

  const em = () => orm.em.fork() as EntityManager;

  function enqueue(work: () => Promise<void>): void {
    inFlight += 1;
    chain = chain
      .then(work)
      .catch((error: unknown) => log.error({ err: error }, "domain event delivery failed"))
      .finally(() => {
        inFlight -= 1;
      });
  }

  /**
   * Committed batches waiting for the chain: those recorded in a transaction (read back by id) and
   * those whose rows a one-statement writer returned. Under load many commits land while a delivery
   * runs; the next delivery takes them all at once (each subscriber hears them in one call).
   */
  let waiting: { leased: string[]; rows: Row[] } | null = null;
  function deliverCommitted(leased: string[], rows: Row[]): void {
    if (waiting) {
      waiting.leased.push(...leased);
      waiting.rows.push(...rows);
      return;
    }
    waiting = { leased: [...leased], rows: [...rows] };
    enqueue(async () => {
      const taken = waiting!;
      waiting = null;
      const read = taken.leased.length
        ? await em().execute<Row[]>(
            `select id, batch_id, name, data, occurred_at, pending, attempts from domain_event
              where batch_id = any(?::uuid[]) and delivered_at is null order by id`,
            [`{${taken.leased.join(",")}}`],
          )
        : [];
      // In commit order: identities grow with every insert.
      await deliverGroup([...read, ...taken.rows].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)));
    });
  }

  /** What a sweep took over: batch by batch. */
  async function deliverRows(rows: Row[]): Promise<void> {
    const batches = new Map<string, Row[]>();
    for (const row of rows) batches.set(row.batch_id, [...(batches.get(row.batch_id) ?? []), row]);
    for (const batch of batches.values()) await deliverGroup(batch);
  }

  /** Rows of one or more batches: each subscriber gets the events it is owed in one call. */
  async function deliverGroup(rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const failed = new Map<string, string>();
    for (const subscriber of subscribers) {
      const owed = rows.filter((row) => subscriber.wants(row.name) && (row.pending === null || row.pending.includes(subscriber.name)));
      if (owed.length === 0) continue;
      try {
        await subscriber.handle(owed.map((row) => ({ id: row.id, name: row.name, data: row.data, occurredAt: new Date(row.occurred_at).toISOString() }) as DomainEvent));
      } catch (error) {
        failed.set(subscriber.name, error instanceof Error ? error.message : String(error));
        log.warn({ err: error, subscriber: subscriber.name, events: owed.map((row) => row.name) }, "a domain event subscriber failed; it will be retried");
      }
    }
    if (failed.size === 0) {
      await em().execute(`update domain_event set delivered_at = now(), pending = '{}', lease_until = null where batch_id = any(?::uuid[])`, [
        `{${[...new Set(rows.map((row) => row.batch_id))].join(",")}}`,
      ]);
      return;
    }
    for (const row of rows) {
      const owed = subscribers.filter((s) => failed.has(s.name) && s.wants(row.name) && (row.pending === null || row.pending.includes(s.name))).map((s) => s.name);
      // Back-off: 2, 4, 8 … seconds, at most 5 minutes.
      const delay = Math.min(300, 2 ** (row.attempts + 1));
      await em().execute(
        `update domain_event set pending = ?::text[], attempts = attempts + 1, lease_until = null, last_error = ?,
           delivered_at = case when cardinality(?::text[]) = 0 then now() end,
           next_attempt_at = case when cardinality(?::text[]) = 0 then null else now() + make_interval(secs => ?) end
          where id = ?`,
        [`{${owed.join(",")}}`, [...failed.values()].join("; ").slice(0, 2000), `{${owed.join(",")}}`, `{${owed.join(",")}}`, delay, row.id],
      );
    }
  }

  async function sweepOnce(): Promise<number> {
    const rows = await em().transactional(async (tx) =>
      tx.execute<Row[]>(
        `with due as (
           select distinct batch_id from domain_event
            where delivered_at is null and (lease_until is null or lease_until < now()) and (next_attempt_at is null or next_attempt_at <= now())
            order by batch_id limit ${SWEEP_BATCHES})
         update domain_event d set lease_until = now() + interval '${LEASE}'
           from due where d.batch_id = due.batch_id and d.delivered_at is null
             and (d.lease_until is null or d.lease_until < now())
         returning d.id, d.batch_id, d.name, d.data, d.occurred_at, d.pending, d.attempts`,
      ),
    );
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    await deliverRows(rows);
    await em().execute(`delete from domain_event where delivered_at < now() - interval '${RETENTION}'`);
    return new Set(rows.map((row) => row.batch_id)).size;
  }

  const outbox: Outbox = {
    leased(transaction, batchId) {
      open.set(transaction, [...(open.get(transaction) ?? []), batchId]);
    },
    committed(batchId, events) {
      deliverCommitted(
        [],
        events.map((event) => ({ id: event.id, batch_id: batchId, name: event.name, data: event.data ?? null, occurred_at: event.occurredAt, pending: null, attempts: 0 })),
      );
    },
    subscribe(list) {
      const names = new Set(subscribers.map((s) => s.name));
      for (const subscriber of list) {
        if (names.has(subscriber.name)) throw new Error(`two subscribers named ${subscriber.name}`);
        names.add(subscriber.name);
        subscribers.push(subscriber);
      }
    },
    sweep() {
      sweeping ??= new Promise<number>((resolve, reject) => {
        enqueue(() => sweepOnce().then(resolve, reject));
      }).finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    },
    async idle() {
      while (inFlight > 0) await chain;
    },
    start() {
      timer ??= setInterval(() => {
        outbox.sweep().catch((error: unknown) => log.warn({ err: error }, "domain event sweep failed"));
      }, options.sweepEveryMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await outbox.idle();
    },
  };
  outboxes.set(orm.em.config, outbox);
  return outbox;
}
