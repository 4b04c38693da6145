/**
 * A doctor's wallet (docs/payments.md "Wallet"): the append-only `wallet_entry` ledger. Every write
 * that can lower a balance (payouts, refund debits) takes the doctor's wallet lock first, so two at
 * once are serialized and neither can overdraw.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { conflict } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";

/** Transaction-scoped lock of one doctor's wallet. */
export async function lockWallet(tx: EntityManager, doctorId: string): Promise<void> {
  await tx.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`wallet-${doctorId}`]);
}

const SIGNED = `case kind when 'credit' then amount_minor else -amount_minor end`;

export async function walletBalance(tx: EntityManager, doctorId: string, currency: string): Promise<number> {
  const [row] = await tx.execute<{ balance: string | null }[]>(`select sum(${SIGNED}) as balance from wallet_entry where doctor_id = ? and currency = ?`, [doctorId, currency]);
  return Number(row?.balance ?? 0);
}

interface EntryRow {
  id: string;
  kind: "credit" | "debit" | "payout";
  amount_minor: number;
  currency: string;
  appointment_id: string | null;
  reference: string | null;
  created_at: Date;
}

export async function readWallet(em: EntityManager, doctorId: string, page: { limit: number; cursor?: string }) {
  const balances = await em.execute<{ currency: string; balance: string }[]>(
    `select currency, sum(${SIGNED}) as balance from wallet_entry where doctor_id = ? group by currency order by currency`,
    [doctorId],
  );
  const [micros, lastId] = page.cursor ? page.cursor.split("_") : [null, null];
  const rows = await em.execute<EntryRow[]>(
    `select id, kind, amount_minor, currency, appointment_id, reference, created_at from wallet_entry
      where doctor_id = ? ${micros ? `and (created_at, id) < (to_timestamp(?::numeric / 1e6), ?::uuid)` : ""}
      order by created_at desc, id desc limit ?`,
    micros ? [doctorId, micros, lastId, page.limit + 1] : [doctorId, page.limit + 1],
  );
  const items = rows.slice(0, page.limit);
  const last = rows.length > page.limit ? items.at(-1)! : null;
  return {
    doctorId,
    balances: balances.map((b) => ({ currency: b.currency, balanceMinor: Number(b.balance) })),
    items: items.map((r) => ({
      id: r.id, kind: r.kind, amountMinor: r.amount_minor, currency: r.currency, appointmentId: r.appointment_id, reference: r.reference,
      createdAt: new Date(r.created_at).toISOString(),
    })),
    nextCursor: last ? `${await micro(em, last.id)}_${last.id}` : null,
  };
}

/** The exact microsecond timestamp of an entry (a JS Date keeps only milliseconds). */
async function micro(em: EntityManager, id: string): Promise<string> {
  const [row] = await em.execute<{ us: string }[]>(`select (extract(epoch from created_at) * 1e6)::bigint::text as us from wallet_entry where id = ?`, [id]);
  return row!.us;
}

/** A payout: refused (409 INSUFFICIENT_BALANCE) above the balance, checked under the doctor's wallet lock. */
export async function createPayout(ctx: ModuleContext, actor: AuditActor, doctorId: string, input: { amountMinor: number; currency: string; reference: string }) {
  return (ctx.orm.em.fork() as unknown as EntityManager).transactional(async (tx) => {
    await lockWallet(tx, doctorId);
    const balance = await walletBalance(tx, doctorId, input.currency);
    if (input.amountMinor > balance) {
      throw conflict("INSUFFICIENT_BALANCE", `amountMinor ${input.amountMinor} exceeds the balance of ${balance} ${input.currency}`, { field: "amountMinor", balanceMinor: balance });
    }
    const [entry] = await tx.execute<{ id: string }[]>(
      `insert into wallet_entry (doctor_id, kind, amount_minor, currency, reference) values (?, 'payout', ?, ?, ?) returning id`,
      [doctorId, input.amountMinor, input.currency, input.reference],
    );
    recordAudit(tx, actor, { action: "payments.payout", entityType: "Doctor", entityId: doctorId, after: { entryId: entry!.id, ...input } });
    return { id: entry!.id, balanceMinor: balance - input.amountMinor, ...input };
  });
}
