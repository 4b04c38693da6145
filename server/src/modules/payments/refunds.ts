/**
 * Refunds of paid visits (docs/payments.md "Refunds and policy"): by the clinic's policy after a
 * cancel commits, by staff with a reason, and the differences and returns of moves and late
 * payments. Every refund goes to Stripe inside the caller's transaction (Stripe failing rolls it all
 * back) under an idempotency key of the visit, the cause and the charge, is recorded once per Stripe
 * refund, and is told to the patient.
 */
import { clinicSettingsSchema } from "@clinic/shared";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { conflict, invalid, notFound, unavailable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import type { Snapshot } from "../booking";
import { formatWhen } from "@clinic/shared";
import { dispatchMessages, notify } from "../notifications";
import { formatMoney, recordRefund, refundArrivalBy, settleRefundedStatus, visitMoney, type RefundCause } from "./ledger";
import { stripeFor, type Stripe } from "./stripe";

const SYSTEM: AuditActor = { userId: null, role: "system", ip: null, userAgent: null, requestId: null };

/** Why the patient gets money back, in the refund notice's words. */
const REFUND_REASONS: Record<RefundCause, string> = {
  policy: "the appointment was cancelled",
  staff: "the clinic refunded it",
  provider: "the payment provider refunded it",
  slot_taken: "the payment arrived after the slot was taken",
  reschedule: "the new time costs less",
  move_lapsed: "the move to a new time did not go ahead",
};

export interface RefundResult {
  appointmentId: string;
  refundId: string | null;
  refundIds: string[];
  amountMinor: number;
  currency: string;
  paymentStatus: "refunded" | "partially_refunded";
}

/** The facts of a visit a refund needs: its people, clinic policy and whether the clinic cancelled it. */
interface Visit {
  id: string;
  doctor_id: string;
  clinic_id: string;
  status: string;
  payment_status: string;
  starts_at: Date;
  currency: string;
  settings: Record<string, unknown> | null;
  time_zone: string;
  patient_user_id: string;
  doctor_name: string;
  /** Cancelled by the clinic's side: a doctor's leave or a closure (its audit row is in the same transaction). */
  by_clinic: boolean;
}

/** The visit, its row locked (a cancel and a staff refund at once refund once). */
async function lockedVisit(tx: EntityManager, appointmentId: string): Promise<Visit | null> {
  const [row] = await tx.execute<Visit[]>(
    `select a.id, a.doctor_id, a.clinic_id, a.status, a.payment_status, a.starts_at, a.currency, c.settings, c.time_zone,
            p.user_id as patient_user_id, d.display_name as doctor_name,
            exists (select 1 from audit_event e where e.entity_type = 'Appointment' and e.entity_id = a.id::text
                      and e.action = 'booking.appointment.cancel-by-leave') as by_clinic
       from appointment a join clinic c on c.id = a.clinic_id join patient p on p.id = a.patient_id join doctor d on d.id = a.doctor_id
      where a.id = ? for update of a`,
    [appointmentId],
  );
  return row ?? null;
}

/**
 * Refunds `amountMinor` of a visit through Stripe, split over its charges newest first (a moved
 * visit may have the original payment and a move's difference), and tells the patient unless
 * `notice` is false (a caller with a richer message of its own). Call with the visit's row locked.
 */
export async function refundVisit(
  tx: EntityManager,
  stripe: Stripe,
  visitId: string,
  amountMinor: number,
  cause: RefundCause,
  options: { notice?: boolean } = {},
): Promise<{ refundIds: string[]; amountMinor: number; outbox: string[] }> {
  const visit = await lockedVisit(tx, visitId);
  const money = await visitMoney(tx, visitId);
  if (!visit) throw notFound("Appointment");
  let left = Math.min(amountMinor, money.netMinor);
  const refundIds: string[] = [];
  for (const charge of money.charges) {
    const take = Math.min(left, charge.amountMinor - charge.refundedMinor);
    if (take <= 0) continue;
    if (!charge.paymentIntent) throw conflict("NOT_REFUNDABLE");
    const made = await stripe.refunds.create(
      { payment_intent: charge.paymentIntent, amount: take, reason: "requested_by_customer", metadata: { appointmentId: visitId, cause } },
      { idempotencyKey: refundKey(visitId, cause, charge.paymentIntent) },
    );
    await recordRefund(tx, { appointmentId: visitId, doctorId: visit.doctor_id, chargeId: charge.id, amountMinor: take, currency: charge.currency, refundId: made.id, cause });
    refundIds.push(made.id);
    left -= take;
    if (left === 0) break;
  }
  const refunded = Math.min(amountMinor, money.netMinor) - left;
  const outbox = refunded > 0 && options.notice !== false ? await tellPatient(tx, visit, refunded, cause) : [];
  return { refundIds, amountMinor: refunded, outbox };
}

/**
 * One key per visit, cause and PaymentIntent (not the charge row, which a rolled-back try writes
 * anew): a retry of the same refund is the same refund at Stripe. Policy and staff refunds share
 * theirs: only one of them is ever made for a visit.
 */
const refundKey = (visitId: string, cause: RefundCause, paymentIntent: string) =>
  `refund-${visitId}-${cause === "policy" || cause === "staff" ? "cancel" : cause}-${paymentIntent}`;

/** "Your refund": the amount, the appointment, why, and when it should arrive (in-app and by email). */
async function tellPatient(tx: EntityManager, visit: Visit, amountMinor: number, cause: RefundCause): Promise<string[]> {
  const arrival = new Intl.DateTimeFormat("en-GB", { timeZone: visit.time_zone, weekday: "long", day: "numeric", month: "long" }).format(refundArrivalBy(new Date()));
  return notify(tx, {
    userId: visit.patient_user_id,
    template: "payments.refunded",
    channels: ["in_app", "email"],
    clinicId: visit.clinic_id,
    // One notice per refund: the visit and cause identify it (a cause happens once per visit).
    key: `refund-notice-${visit.id}-${cause}`,
    payload: {
      appointmentId: visit.id,
      amount: formatMoney(amountMinor, visit.currency),
      doctor: visit.doctor_name,
      when: formatWhen(new Date(visit.starts_at), visit.time_zone),
      reason: REFUND_REASONS[cause],
      arrivalBy: arrival,
    },
  });
}

/**
 * A refund made at Stripe outside this server (the dashboard; `charge.refunded`): whatever Stripe
 * says was refunded of the charge beyond what we recorded is recorded now and told. Our own
 * refunds were recorded when made, so their events change nothing.
 */
export async function recordProviderRefund(tx: EntityManager, charge: { paymentIntent: string; amountRefundedMinor: number; refundId: string | null }): Promise<{ recorded: boolean; outbox: string[] } | null> {
  const [paid] = await tx.execute<{ id: string; appointment_id: string; currency: string; refunded_minor: number }[]>(
    `select c.id, c.appointment_id, c.currency, coalesce((select sum(r.amount_minor) from payment_transaction r where r.charge_id = c.id), 0)::int as refunded_minor
       from payment_transaction c where c.kind = 'charge' and c.provider_ref = ?`,
    [charge.paymentIntent],
  );
  if (!paid) return null;
  const visit = await lockedVisit(tx, paid.appointment_id);
  const missing = charge.amountRefundedMinor - paid.refunded_minor;
  if (!visit || missing <= 0) return { recorded: false, outbox: [] };
  await recordRefund(tx, { appointmentId: visit.id, doctorId: visit.doctor_id, chargeId: paid.id, amountMinor: missing, currency: paid.currency, refundId: charge.refundId, cause: "provider" });
  await settleRefundedStatus(tx, visit.id);
  return { recorded: true, outbox: await tellPatient(tx, visit, missing, "provider") };
}

/** The policy's refund of what was paid for a cancel now: all of it at least `fullRefundHours` before the start, else the percent. */
export function policyAmount(visit: Pick<Visit, "starts_at" | "settings">, paidMinor: number, now = new Date()): number {
  const { fullRefundHours, lateCancelRefundPercent } = clinicSettingsSchema.parse(visit.settings ?? {});
  const hoursBefore = (new Date(visit.starts_at).getTime() - now.getTime()) / 3_600_000;
  if (hoursBefore >= fullRefundHours) return paidMinor;
  return Math.floor((paidMinor * lateCancelRefundPercent) / 100);
}

/**
 * A visit's one cancel-type refund: by policy (actor system, no reason) or by staff (with the
 * reason); the payment status follows what is left, and the audit names the refunds made.
 */
async function refundCancelledVisit(tx: EntityManager, stripe: Stripe, visit: Visit, amountMinor: number, actor: AuditActor, reason: string | null) {
  const cause = reason === null ? "policy" : "staff";
  const made = await refundVisit(tx, stripe, visit.id, amountMinor, cause);
  const paymentStatus = await settleRefundedStatus(tx, visit.id);
  recordAudit(tx, actor, {
    action: `payments.refund-${cause}`,
    entityType: "Appointment",
    entityId: visit.id,
    clinicId: visit.clinic_id,
    after: { refundIds: made.refundIds, amountMinor: made.amountMinor, currency: visit.currency, paymentStatus, ...(reason === null ? {} : { reason }) },
  });
  return { made, paymentStatus };
}

/**
 * After a cancel commits (a subscriber): every cancelled, paid appointment of the change is refunded
 * by its clinic's policy. A refund that fails (Stripe down) throws after the others were tried, so
 * the outbox retries it; one made already is skipped.
 */
export async function refundCancelledByPolicy(ctx: ModuleContext, snapshot: Snapshot): Promise<void> {
  const stripe = stripeFor(ctx.config);
  const ids = snapshot.appointments.filter((a) => a.status === "cancelled").map((a) => a.appointmentId);
  if (!stripe || ids.length === 0) return;
  const failed: unknown[] = [];
  for (const id of ids) {
    try {
      const outbox = await (ctx.orm.em.fork() as unknown as EntityManager).transactional(async (tx) => {
        const visit = await lockedVisit(tx, id);
        const money = await visitMoney(tx, id);
        // Re-checked under the lock: only a cancelled, still fully paid visit is refunded, once.
        if (!visit || visit.status !== "cancelled" || visit.payment_status !== "paid" || money.hasCancelRefund || money.netMinor <= 0) return [];
        // The policy covers the patient's change of plans; when the clinic cancels, the patient gets it all back.
        const amount = visit.by_clinic ? money.netMinor : policyAmount(visit, money.netMinor);
        if (amount <= 0) return [];
        const { made } = await refundCancelledVisit(tx, stripe, visit, amount, SYSTEM, null);
        return made.outbox;
      });
      await dispatchMessages(ctx, outbox);
    } catch (error) {
      ctx.log.warn({ err: error, appointmentId: id }, "policy refund failed; it will be retried");
      failed.push(error);
    }
  }
  if (failed.length > 0) throw failed[0];
}

/** A staff refund of a paid visit (any status), with a reason; one per visit (409 ALREADY_REFUNDED). */
export async function staffRefund(
  ctx: ModuleContext,
  actor: AuditActor,
  appointmentId: string,
  input: { amountMinor?: number; reason: string },
  allowed: (clinicId: string) => boolean,
): Promise<RefundResult> {
  const stripe = stripeFor(ctx.config);
  const { result, outbox } = await (ctx.orm.em.fork() as unknown as EntityManager).transactional(async (tx) => {
    const visit = await lockedVisit(tx, appointmentId);
    const money = visit ? await visitMoney(tx, appointmentId) : null;
    if (!visit || !money || money.chargedMinor === 0 || !allowed(visit.clinic_id)) throw notFound("Paid appointment");
    if (money.hasCancelRefund || visit.payment_status !== "paid") throw conflict("ALREADY_REFUNDED");
    const amount = input.amountMinor ?? money.netMinor;
    if (amount > money.netMinor) {
      throw invalid("body.amountMinor", `at most what was paid (${money.netMinor})`);
    }
    if (!stripe) throw unavailable("PAYMENT_PROVIDER_UNAVAILABLE");
    const { made, paymentStatus } = await refundCancelledVisit(tx, stripe, visit, amount, actor, input.reason);
    const result: RefundResult = {
      appointmentId,
      refundId: made.refundIds[0] ?? null,
      refundIds: made.refundIds,
      amountMinor: made.amountMinor,
      currency: visit.currency,
      paymentStatus,
    };
    return { result, outbox: made.outbox };
  });
  await dispatchMessages(ctx, outbox);
  return result;
}
