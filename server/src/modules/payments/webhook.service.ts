/**
 * Stripe webhook events applied to bookings (docs/payments.md). One transaction per event: the event
 * id is stored first (a replay finds it and does nothing), then the effect through the booking
 * store's state machine helpers; live events, jobs and messages follow after commit. Out-of-order
 * events are decided by the rows, not by arrival: a payment always wins over an expiry/failure.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { DomainError } from "../../platform/problem";
import { recordAudit, type AuditActor } from "../audit/audit.service";
import { Changes, bookPlace, insertAppointment, lockedAppointment, releasePlace, setAppointmentStatus, type LockedAppointment } from "../booking/appointment.store";
import { afterBookingCommit } from "../booking/booking.after-commit";
import { takeSlot } from "../booking/booking.places";
import { alternativesText, earliestAlternatives } from "../booking/leave-cancellation";
import { formatWhen } from "../booking/reminder-plan";
import { dispatchMessages, notify } from "../notifications/notify";
import { recordRefund } from "./refunds";
import type { Stripe } from "./stripe";

const SYSTEM: AuditActor = { userId: null, role: "system", ip: null, userAgent: null, requestId: null };

type Outcome = "duplicate" | "booked" | "rebooked" | "refunded" | "already_paid" | "cancelled" | "ignored" | "awaiting_payment" | "unknown_appointment" | "refund_recorded";

interface Work {
  tx: EntityManager;
  changes: Changes;
  outbox: string[];
}

interface Facts {
  doctor_user_id: string;
  patient_user_id: string;
  patient: string;
  doctor: string;
  clinic: string;
  time_zone: string;
}

export const formatMoney = (minor: number, currency: string) =>
  new Intl.NumberFormat("en-GB", { style: "currency", currency: currency.toUpperCase() }).format(minor / 100);

export class PaymentWebhooks {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly stripe: Stripe | null,
  ) {}

  async handle(event: Stripe.Event): Promise<Outcome> {
    const em = this.ctx.orm.em.fork() as unknown as EntityManager;
    const changes = new Changes();
    const outbox: string[] = [];
    const result = await em.transactional(async (tx) => {
      const [fresh] = await tx.execute<{ id: string }[]>(
        `insert into payment_event (id, type, outcome) values (?, ?, 'processing') on conflict do nothing returning id`,
        [event.id, event.type],
      );
      if (!fresh) return { outcome: "duplicate" as const, snapshot: null };
      const outcome = await this.apply({ tx, changes, outbox }, event);
      await tx.execute(`update payment_event set outcome = ? where id = ?`, [outcome, event.id]);
      await tx.flush();
      return { outcome, snapshot: await changes.snapshot(tx) };
    });
    if (result.snapshot) {
      try {
        await afterBookingCommit(this.ctx, result.snapshot);
      } catch (error) {
        this.ctx.log.warn({ err: error }, "after-commit work for a payment failed");
      }
    }
    await dispatchMessages(this.ctx, outbox);
    return result.outcome;
  }

  private async apply(work: Work, event: Stripe.Event): Promise<Outcome> {
    switch (event.type) {
      case "checkout.session.completed":
        // An asynchronous method (bank debit) completes unpaid and settles later by its own event.
        return event.data.object.payment_status === "unpaid" ? "awaiting_payment" : this.paid(work, event.data.object);
      case "checkout.session.async_payment_succeeded":
        return this.paid(work, event.data.object);
      case "checkout.session.async_payment_failed":
        return this.failed(work, event.data.object, "failed");
      case "checkout.session.expired":
        return this.failed(work, event.data.object, "expired before it was made");
      case "charge.refunded":
        return this.refunded(work, event.data.object);
      default:
        return "ignored";
    }
  }

  private async locked(tx: EntityManager, session: Stripe.Checkout.Session): Promise<LockedAppointment | null> {
    const id = session.metadata?.appointmentId ?? session.client_reference_id;
    if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return null;
    return lockedAppointment(tx, id).catch((error: unknown) => {
      if (error instanceof DomainError && error.status === 404) return null;
      throw error;
    });
  }

  private async facts(tx: EntityManager, appointmentId: string): Promise<Facts> {
    const [facts] = await tx.execute<Facts[]>(
      `select d.user_id as doctor_user_id, p.user_id as patient_user_id, p.full_name as patient, d.display_name as doctor, c.name as clinic, c.time_zone
         from appointment a join patient p on p.id = a.patient_id join doctor d on d.id = a.doctor_id join clinic c on c.id = a.clinic_id
        where a.id = ?`,
      [appointmentId],
    );
    return facts!;
  }

  /** The money arrived: book the held place, or the same slot again if it is still free, else refund. */
  private async paid({ tx, changes, outbox }: Work, session: Stripe.Checkout.Session): Promise<Outcome> {
    const row = await this.locked(tx, session);
    if (!row) return "unknown_appointment";
    const amount = session.amount_total ?? row.fee_minor + row.transaction_fee_minor;
    const currency = (session.currency ?? row.currency).toUpperCase();
    const paymentIntent = typeof session.payment_intent === "string" ? session.payment_intent : (session.payment_intent?.id ?? null);
    const [charge] = await tx.execute<{ id: string }[]>(
      `insert into payment_transaction (appointment_id, kind, amount_minor, currency, provider_ref, session_id) values (?, 'charge', ?, ?, ?, ?)
       on conflict do nothing returning id`,
      [row.id, amount, currency, paymentIntent, session.id],
    );
    if (!charge) return "already_paid";
    let bookedId: string | null = null;
    if (row.status === "pending") {
      await setAppointmentStatus(tx, row, "scheduled", null, null);
      await tx.execute(`update appointment set payment_status = 'paid' where id = ?`, [row.id]);
      await bookPlace(tx, row, changes);
      changes.appointment(row.id, "confirmed");
      bookedId = row.id;
    } else if ((row.status === "expired" || row.status === "cancelled") && row.slot_id) {
      bookedId = await this.rebook(tx, changes, row);
      if (bookedId) await tx.execute(`update appointment set payment_status = 'paid' where id = ?`, [row.id]);
    }
    const facts = await this.facts(tx, row.id);
    const when = formatWhen(new Date(row.starts_at), facts.time_zone);
    if (!bookedId) return this.refundLate(tx, outbox, row, facts, { amount, currency, paymentIntent });
    // The doctor's share is the consultation fee; the transaction fee is the platform's.
    if (row.fee_minor > 0) {
      await tx.execute(
        `insert into wallet_entry (doctor_id, kind, amount_minor, currency, appointment_id) values (?, 'credit', ?, ?, ?) on conflict do nothing`,
        [row.doctor_id, row.fee_minor, row.currency, row.id],
      );
    }
    // The doctor and the clinic's admins hear of every paid booking (admins see the money side).
    const admins = await tx.execute<{ user_id: string }[]>(
      `select user_id from clinic_membership where clinic_id = ? and role = 'clinic_admin' order by user_id`,
      [row.clinic_id],
    );
    const payload = { appointmentId: bookedId, patient: facts.patient, when, clinic: facts.clinic, amount: formatMoney(amount, currency) };
    for (const userId of [facts.doctor_user_id, ...admins.map((admin) => admin.user_id)]) {
      outbox.push(
        ...(await notify(tx, { userId, template: "payments.booking-paid", payload, clinicId: row.clinic_id, key: `payment-paid-${row.id}-${userId}` })),
      );
    }
    recordAudit(tx, SYSTEM, { action: "payments.paid", entityType: "Appointment", entityId: bookedId, clinicId: row.clinic_id, after: { paidAppointmentId: row.id, amount, currency, sessionId: session.id } });
    return bookedId === row.id ? "booked" : "rebooked";
  }

  /**
   * A late payment for a hold that already ended: its slot is taken again if free (a new scheduled
   * appointment replacing the ended one; the state machine never revives an ended one). Null: taken.
   */
  private async rebook(tx: EntityManager, changes: Changes, row: LockedAppointment): Promise<string | null> {
    await tx.execute(`savepoint late_payment`);
    try {
      await takeSlot(tx, changes, row.slot_id!, "scheduled", null);
      const created = await insertAppointment(tx, {
        slotId: row.slot_id, elasticAllocationId: null, patientId: row.patient_id, doctorId: row.doctor_id, clinicId: row.clinic_id,
        serviceId: row.service_id, start: new Date(row.starts_at), end: new Date(row.ends_at), status: "scheduled", holdExpiresAt: null,
        payment: { payment_status: "paid", fee_minor: row.fee_minor, transaction_fee_minor: row.transaction_fee_minor, currency: row.currency },
        bookedById: null, rescheduledFrom: row.id,
      });
      await tx.execute(`release savepoint late_payment`);
      changes.appointment(created.id, "created");
      return created.id;
    } catch (error) {
      // Taken (by a live booking, or the unique index as the last guard): nothing of the try stays.
      await tx.execute(`rollback to savepoint late_payment`);
      changes.slots.delete(row.slot_id!);
      if (error instanceof DomainError && error.status === 409) return null;
      if ((error as { code?: string }).code === "23505" || (error as Error).name === "UniqueConstraintViolationException") return null;
      throw error;
    }
  }

  /**
   * The slot went to someone else: refund in full through the refunds API inside this transaction.
   * If Stripe fails, the transaction (event id included) rolls back and Stripe's retry of the event
   * does it all again under the same idempotency key: never a kept payment without an appointment.
   */
  private async refundLate(tx: EntityManager, outbox: string[], row: LockedAppointment, facts: Facts, pay: { amount: number; currency: string; paymentIntent: string | null }): Promise<Outcome> {
    if (!this.stripe || !pay.paymentIntent) throw new Error(`cannot refund appointment ${row.id}: no Stripe client or payment intent`);
    const refund = await this.stripe.refunds.create(
      { payment_intent: pay.paymentIntent, reason: "requested_by_customer", metadata: { appointmentId: row.id, cause: "slot_taken" } },
      { idempotencyKey: `refund-${row.id}` },
    );
    await tx.execute(
      `insert into payment_transaction (appointment_id, kind, amount_minor, currency, provider_ref) values (?, 'refund', ?, ?, ?) on conflict do nothing`,
      [row.id, pay.amount, pay.currency, refund.id],
    );
    await tx.execute(`update appointment set payment_status = 'refunded', updated_at = now() where id = ?`, [row.id]);
    const alternatives = await earliestAlternatives(tx, { doctorId: row.doctor_id, clinicId: row.clinic_id, zone: facts.time_zone, released: [] });
    outbox.push(
      ...(await notify(tx, {
        userId: facts.patient_user_id,
        template: "payments.refunded-slot-taken",
        payload: {
          appointmentId: row.id,
          amount: formatMoney(pay.amount, pay.currency),
          when: formatWhen(new Date(row.starts_at), facts.time_zone),
          doctor: facts.doctor,
          alternativesText: alternativesText(alternatives),
          alternatives: alternatives.map(({ slotId, doctorId, doctorName, start }) => ({ slotId, doctorId, doctorName, start })),
        },
        clinicId: row.clinic_id,
        key: `payment-refund-${row.id}`,
      })),
    );
    recordAudit(tx, SYSTEM, { action: "payments.refund-late", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id, after: { refundId: refund.id, amount: pay.amount } });
    return "refunded";
  }

  /** Failure or expiry: a still-pending unpaid hold is cancelled and its place freed; anything else stays. */
  private async failed({ tx, changes, outbox }: Work, session: Stripe.Checkout.Session, reason: string): Promise<Outcome> {
    const row = await this.locked(tx, session);
    if (!row) return "unknown_appointment";
    // Expired after completed (or a failure of an already settled payment) changes nothing.
    if (row.payment_status !== "unpaid") return "ignored";
    await tx.execute(`update appointment set payment_status = 'failed' where id = ?`, [row.id]);
    if (row.status !== "pending") return "ignored";
    await setAppointmentStatus(tx, row, "cancelled", null, "payment failed");
    changes.appointment(row.id, "cancelled");
    await releasePlace(tx, row, changes, "released");
    const facts = await this.facts(tx, row.id);
    outbox.push(
      ...(await notify(tx, {
        userId: facts.patient_user_id,
        template: "payments.payment-failed",
        payload: { appointmentId: row.id, doctor: facts.doctor, when: formatWhen(new Date(row.starts_at), facts.time_zone), reason },
        clinicId: row.clinic_id,
        key: `payment-failed-${row.id}`,
      })),
    );
    recordAudit(tx, SYSTEM, { action: "payments.failed", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id, after: { sessionId: session.id, reason } });
    return "cancelled";
  }

  /** A refund made at Stripe (ours, or from the dashboard): recorded once, the doctor's credit reversed. */
  private async refunded({ tx }: Work, charge: Stripe.Charge): Promise<Outcome> {
    const paymentIntent = typeof charge.payment_intent === "string" ? charge.payment_intent : (charge.payment_intent?.id ?? null);
    if (!paymentIntent) return "ignored";
    const [paid] = await tx.execute<{ appointment_id: string; currency: string }[]>(
      `select appointment_id, currency from payment_transaction where kind = 'charge' and provider_ref = ?`,
      [paymentIntent],
    );
    if (!paid) return "unknown_appointment";
    // Our own refund (policy/staff) was recorded when made: its event finds the row and changes nothing.
    await recordRefund(tx, paid.appointment_id, { id: charge.refunds?.data[0]?.id ?? null, amountMinor: charge.amount_refunded });
    return "refund_recorded";
  }
}
