/**
 * POST /appointments/:id/reschedule (docs/booking.md, docs/payments.md "Money follows the visit";
 * the money side is the payments module's, through `Ports.visitMoney`).
 * In one transaction the new place is taken and the old appointment cancelled ("rescheduled"), all
 * or nothing. A paid visit keeps its payment: the charges, refunds and the doctor's share move to
 * the new appointment; a cheaper new time is refunded the difference at once, a dearer one becomes
 * a hold that completes the move when the difference is paid (the visit stays where it is until then).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { canTransition, isLapsedHold, type AppointmentView, type RescheduleTarget } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { conflict, DomainError, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { actsAsClinicStaff, type UserPrincipal } from "../identity";
import { dispatchMessages } from "../notifications";
import { appointmentView, type AppointmentRow } from "./appointment.views";
import { Changes, endPendingMoves, lockedAppointment, mapDatabaseError, readAppointment, releasePlace, setAppointmentStatus, type LockedAppointment } from "./appointment.store";
import { paymentOf, priceOf } from "./booking-policy";
import type { BookingService, Prepared } from "./booking.service";

export interface Rescheduled {
  previous: AppointmentView;
  appointment: AppointmentView;
  /** "pay": the new appointment is a hold waiting for the difference (a paid visit's dearer move) or its price. */
  next: "pay" | null;
}

interface Move {
  tx: EntityManager;
  changes: Changes;
  row: LockedAppointment;
  prepared: Prepared;
  principal: UserPrincipal;
  actor: AuditActor;
  outbox: string[];
}

export class RescheduleService {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly booking: BookingService,
  ) {}

  async reschedule(principal: UserPrincipal, actor: AuditActor, id: string, target: RescheduleTarget): Promise<Rescheduled> {
    const em = this.booking.em();
    const current = await readAppointment(em, id);
    this.booking.assertCanManage(principal, current);
    if (target.slotId && current.slot_id === target.slotId) {
      throw unprocessable("SAME_SLOT", { field: "body.slotId" });
    }
    if (target.elastic && !current.service_id) {
      throw unprocessable("SERVICE_REQUIRED", { field: "body.elastic" });
    }
    if (!canTransition(current.status, "cancelled")) {
      throw conflict("ILLEGAL_TRANSITION", `A ${current.status} appointment cannot be rescheduled`, { from: current.status, to: "cancelled" });
    }
    const staff = actsAsClinicStaff(principal, current.clinic_id);
    const prepared = await this.booking.prepare(
      em,
      principal,
      { slotId: target.slotId, elastic: target.elastic, serviceId: target.elastic ? current.service_id! : undefined },
      { fixedPatientId: current.patient_id, keepService: { clinicId: current.clinic_id, serviceId: current.service_id } },
    );
    const changes = new Changes();
    const lock = await this.booking.admit(prepared.place);
    try {
      const result = await em.transactional(async (tx) => {
        const row = await lockedAppointment(tx, id);
        if (!staff) await this.booking.assertBeforeCutoff(tx, row);
        if (isLapsedHold({ status: row.status, holdExpiresAt: row.hold_expires_at })) {
          throw conflict("HOLD_EXPIRED");
        }
        if (row.status !== "pending" && row.status !== "scheduled") {
          throw conflict("ILLEGAL_TRANSITION", `A ${row.status} appointment cannot be rescheduled`, { from: row.status, to: "cancelled" });
        }
        const move: Move = { tx, changes, row, prepared, principal, actor, outbox: [] };
        const paid = await this.ctx.ports.visitMoney.isPaid(tx, row.id);
        const moved = paid ? await this.movePaidVisit(move) : await this.moveUnpaid(move);
        await tx.flush();
        await changes.record(tx);
        return { ...moved, outbox: move.outbox };
      });
      await this.booking.release(lock);
      await dispatchMessages(this.ctx, result.outbox);
      return { previous: result.previous, appointment: result.appointment, next: result.next };
    } catch (error) {
      await this.booking.release(lock);
      if (error instanceof DomainError) throw error;
      return mapDatabaseError(error);
    }
  }

  /**
   * Nothing paid yet: a hold moves as a hold (an unpaid one owes the new time's price and gets its
   * own checkout), a free visit stays free at its new time.
   */
  private async moveUnpaid({ tx, changes, row, prepared, principal, actor }: Move): Promise<Rescheduled> {
    const status = row.status === "pending" ? "pending" : "scheduled";
    const payment = row.payment_status === "unpaid"
      ? paymentOf(prepared.pricing)
      : { payment_status: row.payment_status, fee_minor: row.fee_minor, transaction_fee_minor: row.transaction_fee_minor, currency: row.currency, amount_due_minor: 0 };
    const created = await this.booking.takePlace(tx, changes, prepared, principal.userId, { status, rescheduledFrom: row.id, payment });
    await this.cancelMovedFrom(tx, changes, row, principal);
    return this.audited(tx, actor, row, created, payment.payment_status === "unpaid" && payment.amount_due_minor > 0 ? "pay" : null, { asWritten: true });
  }

  /**
   * A paid visit keeps its payment. Same price or cheaper: the move is done now, the money moves
   * with it and a cheaper time's difference is refunded. Dearer: a hold that owes the difference;
   * the webhook completes the move when it is paid (webhook.service.ts `paidMove`).
   */
  private async movePaidVisit(move: Move): Promise<Rescheduled> {
    const { tx, changes, row, prepared, principal, actor } = move;
    const price = paymentOf(prepared.pricing);
    if (priceOf(price) > 0 && price.currency !== row.currency) {
      throw unprocessable("CURRENCY_CHANGE", `A visit paid in ${row.currency} moves only to a time priced in ${row.currency}; cancel and book again`, { field: "body.slotId" });
    }
    const difference = priceOf(price) - priceOf(row);
    // A newer move replaces one still waiting for its difference.
    await endPendingMoves(tx, row.id, changes);
    if (difference > 0) {
      const hold = await this.booking.takePlace(tx, changes, prepared, principal.userId, {
        status: "pending",
        pendingMoveFrom: row.id,
        payment: { ...price, payment_status: "unpaid", amount_due_minor: difference },
      });
      recordAudit(tx, actor, {
        action: "booking.appointment.move-pending",
        entityType: "Appointment",
        entityId: row.id,
        clinicId: row.clinic_id,
        after: { holdId: hold.id, differenceMinor: difference, currency: row.currency },
      });
      return { previous: appointmentView(await readAppointment(tx, row.id)), appointment: appointmentView(hold), next: "pay" };
    }
    const created = await this.booking.takePlace(tx, changes, prepared, principal.userId, {
      status: "scheduled",
      rescheduledFrom: row.id,
      payment: { ...price, payment_status: row.payment_status, amount_due_minor: 0 },
    });
    await this.cancelMovedFrom(tx, changes, row, principal);
    await this.ctx.ports.visitMoney.move(tx, row, created);
    if (difference < 0) move.outbox.push(...(await this.ctx.ports.visitMoney.refundDifference(tx, created.id, -difference)));
    // The money moved after the rows were written (the old one's payment is `moved`): read them again.
    return this.audited(tx, actor, row, created, null, { asWritten: false });
  }

  private async cancelMovedFrom(tx: EntityManager, changes: Changes, row: LockedAppointment, principal: UserPrincipal): Promise<void> {
    await setAppointmentStatus(tx, row, "cancelled", principal.userId, "rescheduled");
    changes.appointment(row.id, "rescheduled");
    await releasePlace(tx, row, changes, "rescheduled");
  }

  private async audited(
    tx: EntityManager,
    actor: AuditActor,
    row: LockedAppointment,
    created: AppointmentRow,
    next: "pay" | null,
    options: { asWritten: boolean },
  ): Promise<Rescheduled> {
    // Slot to slot with nothing written since, the rows are as written (the old one cancelled by
    // `cancelMovedFrom`, the new one as inserted); an elastic place may have been re-timed, so read again.
    const { block: _block, ...old } = row;
    const bySlots = options.asWritten && row.slot_id !== null && created.slot_id !== null;
    const previous = appointmentView(
      bySlots ? { ...old, status: "cancelled", status_reason: "rescheduled", hold_expires_at: null, version: row.version + 1 } : await readAppointment(tx, row.id),
    );
    const appointment = appointmentView(bySlots ? created : await readAppointment(tx, created.id));
    recordAudit(tx, actor, {
      action: "booking.appointment.reschedule",
      entityType: "Appointment",
      entityId: row.id,
      clinicId: row.clinic_id,
      before: appointmentView(row),
      after: { previous, appointment },
    });
    return { previous, appointment, next };
  }
}
