/**
 * Stripe webhook events applied to bookings (docs/payments.md). One transaction per event: the event
 * id is stored first (a replay finds it and does nothing), then the effect through the booking
 * store's state machine helpers; live events, jobs and messages follow after commit. Out-of-order
 * events are decided by the rows, not by arrival: a payment always wins over an expiry/failure.
 * A session is believed only when it is the one this server issued for the appointment, for the
 * amount and currency it issued.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { DomainError } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { Changes, bookPlace, insertAppointment, lockedAppointment, readAppointment, releasePlace, setAppointmentStatus, takeSlot, type LockedAppointment } from "../booking";
import { alternativesText, earliestAlternatives } from "../alerts";
import { formatWhen } from "@clinic/shared";
import { dispatchMessages, notify } from "../notifications";
import { creditDoctor, formatMoney, moveVisitMoney, recordCharge, refundArrivalBy, settleRefundedStatus, visitMoney } from "./ledger";
import { recordProviderRefund, refundVisit } from "./refunds";
import type { Stripe } from "./stripe";

const SYSTEM: AuditActor = { userId: null, role: "system", ip: null, userAgent: null, requestId: null };

type Outcome =
  | "duplicate" | "booked" | "rebooked" | "moved" | "refunded" | "already_paid" | "cancelled" | "ignored" | "awaiting_payment"
  | "unknown_appointment" | "refund_recorded" | "mismatch";

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

/** The Checkout Session this server created for an appointment (checkout.ts records it). */
interface IssuedSession {
  appointment_id: string;
  session_id: string;
  amount_minor: number;
  currency: string;
  purpose: "booking" | "move";
}

export class PaymentWebhooks {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly stripe: Stripe | null,
  ) {}

  async handle(event: Stripe.Event): Promise<Outcome> {
    const em = this.ctx.orm.em.fork() as unknown as EntityManager;
    const changes = new Changes();
    const outbox: string[] = [];
    const outcome = await em.transactional(async (tx) => {
      const [fresh] = await tx.execute<{ id: string }[]>(
        `insert into payment_event (id, type, outcome) values (?, ?, 'processing') on conflict do nothing returning id`,
        [event.id, event.type],
      );
      if (!fresh) return "duplicate" as const;
      const outcome = await this.apply({ tx, changes, outbox }, event);
      await tx.execute(`update payment_event set outcome = ? where id = ?`, [outcome, event.id]);
      await tx.flush();
      await changes.record(tx);
      return outcome;
    });
    await dispatchMessages(this.ctx, outbox);
    return outcome;
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

  /** The session we issued for the appointment the event names; null when we never issued one for it. */
  private async issued(tx: EntityManager, session: Stripe.Checkout.Session): Promise<{ appointmentId: string; issued: IssuedSession | null } | null> {
    const id = session.metadata?.appointmentId ?? session.client_reference_id;
    if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return null;
    const [exists] = await tx.execute<{ id: string }[]>(`select id from appointment where id = ?`, [id]);
    if (!exists) return null;
    const [issued] = await tx.execute<IssuedSession[]>(
      `select appointment_id, session_id, amount_minor, currency, purpose from checkout_session where appointment_id = ?`,
      [id],
    );
    return { appointmentId: id, issued: issued ?? null };
  }

  /** What differs between the event's session and the one we issued (nothing: believe it). */
  private differences(issued: IssuedSession | null, session: Stripe.Checkout.Session, checkAmount: boolean): string[] {
    if (!issued) return ["no checkout session was issued for this appointment"];
    const found: string[] = [];
    if (issued.session_id !== session.id) found.push(`session ${session.id} is not the issued ${issued.session_id}`);
    if (checkAmount && session.amount_total !== issued.amount_minor) found.push(`amount ${String(session.amount_total)} is not the issued ${issued.amount_minor}`);
    if (checkAmount && (session.currency ?? "").toUpperCase() !== issued.currency.toUpperCase()) {
      found.push(`currency ${String(session.currency)} is not the issued ${issued.currency}`);
    }
    return found;
  }

  /** Recorded (audit), the clinic's admins alerted, nothing booked or cancelled. */
  private async mismatch({ tx, outbox }: Work, appointmentId: string, session: Stripe.Checkout.Session, differences: string[]): Promise<Outcome> {
    const row = await readAppointment(tx, appointmentId);
    const facts = await this.facts(tx, appointmentId);
    recordAudit(tx, SYSTEM, {
      action: "payments.mismatch",
      entityType: "Appointment",
      entityId: appointmentId,
      clinicId: row.clinic_id,
      after: { sessionId: session.id, amountTotal: session.amount_total, currency: session.currency, differences },
    });
    const payload = { appointmentId, patient: facts.patient, when: formatWhen(new Date(row.starts_at), facts.time_zone), clinic: facts.clinic, sessionId: session.id, differences: differences.join("; ") };
    for (const userId of await this.clinicAdmins(tx, row.clinic_id)) {
      outbox.push(...(await notify(tx, { userId, template: "payments.mismatch", payload, clinicId: row.clinic_id, key: `payment-mismatch-${session.id}-${userId}` })));
    }
    return "mismatch";
  }

  private async clinicAdmins(tx: EntityManager, clinicId: string): Promise<string[]> {
    const admins = await tx.execute<{ user_id: string }[]>(`select user_id from clinic_membership where clinic_id = ? and role = 'clinic_admin' order by user_id`, [clinicId]);
    return admins.map((admin) => admin.user_id);
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
  private async paid(work: Work, session: Stripe.Checkout.Session): Promise<Outcome> {
    const { tx, changes, outbox } = work;
    const target = await this.issued(tx, session);
    if (!target) return "unknown_appointment";
    const differences = this.differences(target.issued, session, true);
    if (differences.length) return this.mismatch(work, target.appointmentId, session, differences);
    const issued = target.issued!;
    if (issued.purpose === "move") return this.paidMove(work, session, issued);
    const row = await lockedAppointment(tx, issued.appointment_id);
    const pay = { amount: issued.amount_minor, currency: issued.currency.toUpperCase(), paymentIntent: paymentIntentOf(session) };
    const chargeId = await recordCharge(tx, { appointmentId: row.id, amountMinor: pay.amount, currency: pay.currency, paymentIntent: pay.paymentIntent, sessionId: session.id, cause: "booking" });
    if (!chargeId) return "already_paid";
    let bookedId: string | null = null;
    if (row.status === "pending") {
      await setAppointmentStatus(tx, row, "scheduled", null, null);
      await tx.execute(`update appointment set payment_status = 'paid', amount_due_minor = 0 where id = ?`, [row.id]);
      await bookPlace(tx, row, changes);
      changes.appointment(row.id, "confirmed");
      bookedId = row.id;
    } else if ((row.status === "expired" || row.status === "cancelled") && row.slot_id) {
      bookedId = await this.rebook(tx, changes, row);
      // The payment follows the new appointment, as a moved visit's does.
      if (bookedId) await moveVisitMoney(tx, { id: row.id, doctor_id: row.doctor_id, payment_status: "paid" }, { id: bookedId, doctor_id: row.doctor_id });
    }
    const facts = await this.facts(tx, row.id);
    const when = formatWhen(new Date(row.starts_at), facts.time_zone);
    if (!bookedId) return this.refundLate(work, row, facts, pay);
    await creditDoctor(tx, { doctorId: row.doctor_id, appointmentId: bookedId, amountMinor: row.fee_minor, currency: row.currency, transactionId: chargeId });
    // The doctor and the clinic's admins hear of every paid booking (admins see the money side).
    const payload = { appointmentId: bookedId, patient: facts.patient, when, clinic: facts.clinic, amount: formatMoney(pay.amount, pay.currency) };
    for (const userId of [facts.doctor_user_id, ...(await this.clinicAdmins(tx, row.clinic_id))]) {
      outbox.push(
        ...(await notify(tx, { userId, template: "payments.booking-paid", payload, clinicId: row.clinic_id, key: `payment-paid-${row.id}-${userId}` })),
      );
    }
    recordAudit(tx, SYSTEM, { action: "payments.paid", entityType: "Appointment", entityId: bookedId, clinicId: row.clinic_id, after: { paidAppointmentId: row.id, amount: pay.amount, currency: pay.currency, sessionId: session.id } });
    return bookedId === row.id ? "booked" : "rebooked";
  }

  /**
   * The difference of a paid visit's move arrived: the move completes (the visit moves to the held
   * place with its payment, the old time is released), unless the visit can no longer move (it was
   * cancelled, checked in, or the hold lapsed): then the difference goes back.
   */
  private async paidMove(work: Work, session: Stripe.Checkout.Session, issued: IssuedSession): Promise<Outcome> {
    const { tx, changes } = work;
    // Every writer locks the visit before its pending move (cancel does too): no deadlock.
    const [link] = await tx.execute<{ pending_move_from: string | null }[]>(`select pending_move_from from appointment where id = ?`, [issued.appointment_id]);
    const visit = link?.pending_move_from ? await lockedAppointment(tx, link.pending_move_from) : null;
    const hold = await lockedAppointment(tx, issued.appointment_id);
    const chargeId = await recordCharge(tx, {
      appointmentId: hold.id, amountMinor: issued.amount_minor, currency: issued.currency.toUpperCase(), paymentIntent: paymentIntentOf(session), sessionId: session.id, cause: "top_up",
    });
    if (!chargeId) return "already_paid";
    const movable = visit !== null && hold.status === "pending" && visit.status === "scheduled" && (await visitMoney(tx, visit.id)).chargedMinor > 0;
    if (!movable) {
      if (!this.stripe) throw new Error(`cannot return the difference of appointment ${hold.id}: no Stripe client`);
      const made = await refundVisit(tx, this.stripe, hold.id, issued.amount_minor, "move_lapsed");
      work.outbox.push(...made.outbox);
      await settleRefundedStatus(tx, hold.id);
      if (hold.status === "pending") {
        await setAppointmentStatus(tx, hold, "cancelled", null, "the visit it was moving could no longer move");
        changes.appointment(hold.id, "cancelled");
        await releasePlace(tx, hold, changes, "released");
      }
      recordAudit(tx, SYSTEM, { action: "payments.refund-move", entityType: "Appointment", entityId: hold.id, clinicId: hold.clinic_id, after: { refundIds: made.refundIds, amountMinor: made.amountMinor } });
      return "refunded";
    }
    await setAppointmentStatus(tx, hold, "scheduled", null, null);
    await bookPlace(tx, hold, changes);
    await tx.execute(`update appointment set rescheduled_from = ?, pending_move_from = null where id = ?`, [visit.id, hold.id]);
    changes.appointment(hold.id, "rescheduled");
    await setAppointmentStatus(tx, visit, "cancelled", null, "rescheduled");
    await releasePlace(tx, visit, changes, "rescheduled");
    changes.appointment(visit.id, "rescheduled");
    await moveVisitMoney(tx, visit, hold);
    // The doctor's share of the difference: the consultation fee's rise.
    await creditDoctor(tx, { doctorId: hold.doctor_id, appointmentId: hold.id, amountMinor: hold.fee_minor - visit.fee_minor, currency: hold.currency, transactionId: chargeId });
    recordAudit(tx, SYSTEM, {
      action: "booking.appointment.reschedule",
      entityType: "Appointment",
      entityId: visit.id,
      clinicId: visit.clinic_id,
      after: { movedTo: hold.id, differenceMinor: issued.amount_minor, currency: issued.currency, sessionId: session.id },
    });
    return "moved";
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
        payment: { payment_status: "paid", fee_minor: row.fee_minor, transaction_fee_minor: row.transaction_fee_minor, currency: row.currency, amount_due_minor: 0 },
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
  private async refundLate({ tx, outbox }: Work, row: LockedAppointment, facts: Facts, pay: { amount: number; currency: string; paymentIntent: string | null }): Promise<Outcome> {
    if (!this.stripe || !pay.paymentIntent) throw new Error(`cannot refund appointment ${row.id}: no Stripe client or payment intent`);
    const made = await refundVisit(tx, this.stripe, row.id, pay.amount, "slot_taken", { notice: false });
    await settleRefundedStatus(tx, row.id);
    const alternatives = await earliestAlternatives(tx, { doctorId: row.doctor_id, clinicId: row.clinic_id, zone: facts.time_zone, released: [] });
    outbox.push(
      ...(await notify(tx, {
        userId: facts.patient_user_id,
        template: "payments.refunded-slot-taken",
        channels: ["in_app", "email"],
        payload: {
          appointmentId: row.id,
          amount: formatMoney(pay.amount, pay.currency),
          when: formatWhen(new Date(row.starts_at), facts.time_zone),
          doctor: facts.doctor,
          arrivalBy: new Intl.DateTimeFormat("en-GB", { timeZone: facts.time_zone, weekday: "long", day: "numeric", month: "long" }).format(refundArrivalBy(new Date())),
          alternativesText: alternativesText(alternatives),
          alternatives: alternatives.map(({ slotId, doctorId, doctorName, start }) => ({ slotId, doctorId, doctorName, start })),
        },
        clinicId: row.clinic_id,
        key: `payment-refund-${row.id}`,
      })),
    );
    recordAudit(tx, SYSTEM, { action: "payments.refund-late", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id, after: { refundIds: made.refundIds, amount: pay.amount } });
    return "refunded";
  }

  /** Failure or expiry: a still-pending unpaid hold is cancelled and its place freed; anything else stays. */
  private async failed(work: Work, session: Stripe.Checkout.Session, reason: string): Promise<Outcome> {
    const { tx, changes, outbox } = work;
    const target = await this.issued(tx, session);
    if (!target) return "unknown_appointment";
    // Only the session we issued may end a hold: anything else would cancel someone's booking.
    const differences = this.differences(target.issued, session, false);
    if (differences.length) return this.mismatch(work, target.appointmentId, session, differences);
    const row = await lockedAppointment(tx, target.appointmentId);
    // Expired after completed (or a failure of an already settled payment) changes nothing.
    if (row.payment_status !== "unpaid") return "ignored";
    await tx.execute(`update appointment set payment_status = 'failed', amount_due_minor = 0 where id = ?`, [row.id]);
    if (row.status !== "pending") return "ignored";
    await setAppointmentStatus(tx, row, "cancelled", null, "payment failed");
    changes.appointment(row.id, "cancelled");
    await releasePlace(tx, row, changes, "released");
    const facts = await this.facts(tx, row.id);
    outbox.push(
      ...(await notify(tx, {
        userId: facts.patient_user_id,
        template: row.pending_move_from ? "payments.move-payment-failed" : "payments.payment-failed",
        payload: { appointmentId: row.id, doctor: facts.doctor, when: formatWhen(new Date(row.starts_at), facts.time_zone), reason },
        clinicId: row.clinic_id,
        key: `payment-failed-${row.id}`,
      })),
    );
    recordAudit(tx, SYSTEM, { action: "payments.failed", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id, after: { sessionId: session.id, reason } });
    return "cancelled";
  }

  /** A refund made at Stripe (ours, or from the dashboard): recorded once, the doctor's share debited. */
  private async refunded({ tx, outbox }: Work, charge: Stripe.Charge): Promise<Outcome> {
    const paymentIntent = typeof charge.payment_intent === "string" ? charge.payment_intent : (charge.payment_intent?.id ?? null);
    if (!paymentIntent) return "ignored";
    const recorded = await recordProviderRefund(tx, { paymentIntent, amountRefundedMinor: charge.amount_refunded, refundId: charge.refunds?.data[0]?.id ?? null });
    if (!recorded) return "unknown_appointment";
    outbox.push(...recorded.outbox);
    return "refund_recorded";
  }
}

const paymentIntentOf = (session: Stripe.Checkout.Session) =>
  typeof session.payment_intent === "string" ? session.payment_intent : (session.payment_intent?.id ?? null);
