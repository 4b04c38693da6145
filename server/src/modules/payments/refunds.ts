/**
 * Refunds of paid appointments (docs/payments.md "Refunds and policy"): by the clinic's policy after
 * a cancel commits, or by staff with a reason. One refund per appointment: Stripe's idempotency key
 * `refund-{appointmentId}` and the unique (appointment, refund) transaction row both say so.
 */
import { clinicSettingsSchema } from "@clinic/shared";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { DomainError } from "../../platform/problem";
import { recordAudit, type AuditActor } from "../audit/audit.service";
import type { Snapshot } from "../booking/appointment.store";
import { stripeFor, type Stripe } from "./stripe";
import { lockWallet, walletBalance } from "./wallet";

const SYSTEM: AuditActor = { userId: null, role: "system", ip: null, userAgent: null, requestId: null };

interface Paid {
  appointment_id: string;
  doctor_id: string;
  clinic_id: string;
  status: string;
  payment_status: string;
  starts_at: Date;
  settings: Record<string, unknown> | null;
  amount_minor: number;
  currency: string;
  provider_ref: string | null;
  refunded: boolean;
  /** Cancelled by the clinic's side: a doctor's leave or a closure (its audit row is in the same transaction). */
  by_clinic: boolean;
}

export interface RefundResult {
  appointmentId: string;
  refundId: string | null;
  amountMinor: number;
  currency: string;
  paymentStatus: "refunded" | "partially_refunded";
}

/** The charge of an appointment, its row locked (a cancel and a staff refund at once refund once). */
async function lockedPaid(tx: EntityManager, appointmentId: string): Promise<Paid | null> {
  const [row] = await tx.execute<Paid[]>(
    `select a.id as appointment_id, a.doctor_id, a.clinic_id, a.status, a.payment_status, a.starts_at, c.settings,
            t.amount_minor, t.currency, t.provider_ref,
            exists (select 1 from payment_transaction r where r.appointment_id = a.id and r.kind = 'refund') as refunded,
            exists (select 1 from audit_event e where e.entity_type = 'Appointment' and e.entity_id = a.id::text
                      and e.action = 'booking.appointment.cancel-by-leave') as by_clinic
       from appointment a join clinic c on c.id = a.clinic_id
       join payment_transaction t on t.appointment_id = a.id and t.kind = 'charge'
      where a.id = ? for update of a`,
    [appointmentId],
  );
  return row ?? null;
}

/**
 * Records a refund made at Stripe: the refund transaction (once), payment status, and the doctor's
 * debit (the consultation-fee share of the refund, at most the wallet's balance so it never goes
 * negative: a shortfall after a payout is the platform's). False: already recorded.
 */
export async function recordRefund(tx: EntityManager, appointmentId: string, refund: { id: string | null; amountMinor: number }): Promise<boolean> {
  const [charge] = await tx.execute<{ amount_minor: number; currency: string }[]>(
    `select amount_minor, currency from payment_transaction where appointment_id = ? and kind = 'charge'`,
    [appointmentId],
  );
  if (!charge) return false;
  const [inserted] = await tx.execute<{ id: string }[]>(
    `insert into payment_transaction (appointment_id, kind, amount_minor, currency, provider_ref) values (?, 'refund', ?, ?, ?) on conflict do nothing returning id`,
    [appointmentId, refund.amountMinor, charge.currency, refund.id],
  );
  if (!inserted) return false;
  const status = refund.amountMinor >= charge.amount_minor ? "refunded" : "partially_refunded";
  await tx.execute(`update appointment set payment_status = ?, updated_at = now() where id = ?`, [status, appointmentId]);
  const [credit] = await tx.execute<{ doctor_id: string; amount_minor: number; currency: string }[]>(
    `select doctor_id, amount_minor, currency from wallet_entry where kind = 'credit' and appointment_id = ?`,
    [appointmentId],
  );
  if (credit) {
    await lockWallet(tx, credit.doctor_id);
    const share = Math.min(credit.amount_minor, Math.round((credit.amount_minor * refund.amountMinor) / charge.amount_minor));
    const debit = Math.min(share, Math.max(0, await walletBalance(tx, credit.doctor_id, credit.currency)));
    if (debit > 0) {
      await tx.execute(
        `insert into wallet_entry (doctor_id, kind, amount_minor, currency, appointment_id) values (?, 'debit', ?, ?, ?) on conflict do nothing`,
        [credit.doctor_id, debit, credit.currency, appointmentId],
      );
    }
  }
  return true;
}

/** Refunds `amountMinor` of an appointment's charge through Stripe (inside tx: Stripe failing rolls all back). */
async function refund(tx: EntityManager, stripe: Stripe, row: Paid, amountMinor: number, actor: AuditActor, cause: string, reason: string | null): Promise<RefundResult> {
  if (!row.provider_ref) throw new DomainError(409, "NOT_REFUNDABLE", "The payment has no PaymentIntent to refund");
  const made = await stripe.refunds.create(
    { payment_intent: row.provider_ref, amount: amountMinor, reason: "requested_by_customer", metadata: { appointmentId: row.appointment_id, cause } },
    { idempotencyKey: `refund-${row.appointment_id}` },
  );
  await recordRefund(tx, row.appointment_id, { id: made.id, amountMinor });
  const paymentStatus = amountMinor >= row.amount_minor ? "refunded" : "partially_refunded";
  recordAudit(tx, actor, {
    action: cause === "staff" ? "payments.refund-staff" : "payments.refund-policy",
    entityType: "Appointment",
    entityId: row.appointment_id,
    clinicId: row.clinic_id,
    after: { refundId: made.id, amountMinor, currency: row.currency, reason },
  });
  return { appointmentId: row.appointment_id, refundId: made.id, amountMinor, currency: row.currency, paymentStatus };
}

/** The policy's refund for a cancel now: full at least `fullRefundHours` before start, else the percent. */
export function policyAmount(row: Pick<Paid, "amount_minor" | "starts_at" | "settings">, now = new Date()): number {
  const { fullRefundHours, lateCancelRefundPercent } = clinicSettingsSchema.parse(row.settings ?? {});
  const hoursBefore = (new Date(row.starts_at).getTime() - now.getTime()) / 3_600_000;
  if (hoursBefore >= fullRefundHours) return row.amount_minor;
  return Math.floor((row.amount_minor * lateCancelRefundPercent) / 100);
}

/** After-commit step: every cancelled, paid appointment of the change is refunded by its clinic's policy. */
export async function refundCancelledByPolicy(ctx: ModuleContext, snapshot: Snapshot): Promise<void> {
  const stripe = stripeFor(ctx.config);
  const ids = snapshot.appointments.filter((a) => a.status === "cancelled").map((a) => a.appointmentId);
  if (!stripe || ids.length === 0) return;
  for (const id of ids) {
    try {
      await (ctx.orm.em.fork() as unknown as EntityManager).transactional(async (tx) => {
        const row = await lockedPaid(tx, id);
        // Re-checked under the lock: only a cancelled, still fully paid appointment is refunded once.
        if (!row || row.refunded || row.status !== "cancelled" || row.payment_status !== "paid") return;
        // The policy covers the patient's change of plans; when the clinic cancels, the patient gets it all back.
        const amount = row.by_clinic ? row.amount_minor : policyAmount(row);
        if (amount > 0) await refund(tx, stripe, row, amount, SYSTEM, "policy", null);
      });
    } catch (error) {
      ctx.log.warn({ err: error, appointmentId: id }, "policy refund failed");
    }
  }
}

/** A staff refund (any status but unpaid), with a reason; one per appointment (409 ALREADY_REFUNDED). */
export async function staffRefund(ctx: ModuleContext, actor: AuditActor, appointmentId: string, input: { amountMinor?: number; reason: string }, allowed: (clinicId: string) => boolean): Promise<RefundResult> {
  const stripe = stripeFor(ctx.config);
  return (ctx.orm.em.fork() as unknown as EntityManager).transactional(async (tx) => {
    const row = await lockedPaid(tx, appointmentId);
    if (!row || !allowed(row.clinic_id)) throw new DomainError(404, "NOT_FOUND", "Paid appointment not found");
    if (row.refunded || row.payment_status !== "paid") throw new DomainError(409, "ALREADY_REFUNDED", "This payment was refunded already");
    const amount = input.amountMinor ?? row.amount_minor;
    if (amount > row.amount_minor) throw new DomainError(400, "VALIDATION_FAILED", `Invalid amountMinor`, { errors: [{ field: "body.amountMinor", message: `at most the charge (${row.amount_minor})` }] });
    if (!stripe) throw new DomainError(503, "PAYMENT_PROVIDER_UNAVAILABLE", "No payment provider is configured");
    return refund(tx, stripe, row, amount, actor, "staff", input.reason);
  });
}
