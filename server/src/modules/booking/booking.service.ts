/**
 * The booking hot path and every appointment status change (docs/booking.md). PostgreSQL is the
 * truth: conditional updates at the read version and the partial unique index decide (the common
 * hold is two statements, booking.hold.ts; on the general path redlock only admits one contender
 * per slot at a time). Every write is one transaction with its audit event
 * and its domain events; their subscribers (realtime, reminders, hold expiry …) run after commit.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Lock } from "redlock";
import {
  clinicSettingsSchema,
  formatPhone,
  isLapsedHold,
  type AppointmentStatus,
  type AppointmentView,
  type CreateAppointmentReply,
  type CreateAppointmentRequest,
  type SubscriptionTier,
} from "@clinic/shared";
import { createLocks, type Locks } from "../../platform/locks";
import { dispatchMessages, notify } from "../notifications";
import type { ModuleContext } from "../../platform/module";
import { conflict, denied, DomainError, forbidden, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { actsAsClinicStaff, type UserPrincipal } from "../identity";
import { checkBookingCandidate, retimeBookedAllocations, type BookingRuleFacts } from "../scheduling";
import { appointmentView, type AppointmentRow } from "./appointment.views";
import { holdFreeSlot, PATIENT_FACTS, type PatientFacts, type ServiceFacts } from "./booking.hold";
import { runPrepared } from "../../platform/prepared";
import {
  Changes,
  assertNotQueued,
  bookPlace,
  endPendingMoves,
  insertAppointment,
  lockedAppointment,
  mapDatabaseError,
  readAppointment,
  releasePlace,
  setAppointmentStatus,
  type Payment,
} from "./appointment.store";
import { admitSlot, readPlace, takeElastic, takeSlot, type Place } from "./booking.places";
import { NO_SHOW_WARNING, freeBookingNotice, paymentOf, priceBooking, standingOf, tellDoctorOfFreeBooking, type Pricing } from "./booking-policy";
import { cancelOnSlot, confirmOnSlot } from "./appointment.slot-change";
import { AlreadyAnswered, claimKey, isIdempotencyConflict, storeAnswer, storedAnswer, type IdempotencyContext, type StoredAnswer } from "./idempotency";

export interface Prepared {
  place: Place;
  doctorId: string;
  clinicId: string;
  start: Date;
  end: Date;
  patient: { id: string; userId: string; tier: SubscriptionTier };
  serviceId: string | null;
  pricing: Pricing;
  warning: string | null;
}

export class BookingService {
  private readonly locks: Locks;

  constructor(private readonly ctx: ModuleContext) {
    this.locks = createLocks(ctx.redis, ctx.config.redis.prefix);
  }

  /** One EntityManager per call (the helpers below are for the booking module's own services). */
  em(): EntityManager {
    return this.ctx.orm.em.fork() as unknown as EntityManager;
  }

  /** Redlock admission on a slot; elastic places need none (their block row lock queues contenders). */
  async admit(place: Place): Promise<Lock | null> {
    return place.kind === "elastic" ? null : admitSlot(this.locks, this.ctx.log, place.slot.id);
  }

  async release(lock: Lock | null): Promise<void> {
    if (lock) await this.locks.release(lock);
  }

  /** Validation, patient, place, policy and rules: everything before the hot path (no writes). */
  async prepare(
    em: EntityManager,
    principal: UserPrincipal,
    input: { slotId?: string | undefined; elastic?: { blockId: string; start: string } | undefined; patientId?: string | undefined; serviceId?: string | undefined; redeemPoints?: boolean | undefined },
    options: { fixedPatientId?: string; keepService?: { clinicId: string; serviceId: string | null } } = {},
  ): Promise<Prepared> {
    let service: ServiceFacts | null = null;
    const readService = async (serviceId: string, clinicId: string) => {
      const [row] = await em.execute<{ price_minor: number; currency: string; payment_required: boolean; duration_minutes: number }[]>(
        `select price_minor, currency, payment_required, duration_minutes from clinic_service where id = ? and clinic_id = ? and active`,
        [serviceId, clinicId],
      );
      if (!row) throw unprocessable("SERVICE_NOT_AT_CLINIC", { field: "body.serviceId" });
      service = { priceMinor: row.price_minor, currency: row.currency, paymentRequired: row.payment_required, minutes: row.duration_minutes };
      return service;
    };
    // An elastic offer is as long as its service.
    const found = await readPlace(em, input, async (clinicId) => (await readService(input.serviceId!, clinicId)).minutes);
    const staff = actsAsClinicStaff(principal, found.clinicId);
    const patientId = options.fixedPatientId ?? input.patientId ?? principal.patientId;
    if (!patientId) throw unprocessable("PATIENT_REQUIRED", { field: "body.patientId" });
    if (!options.fixedPatientId && patientId !== principal.patientId && !staff) {
      throw forbidden("Only the clinic's staff book for another patient");
    }
    // Everything about the patient the policy needs, in one round trip (the fast hold reads the same).
    const [patient] = await runPrepared(em, PATIENT_FACTS, [patientId, found.doctorId, found.clinicId]);
    if (!patient) throw notFound("Patient");
    if (!(found.kind === "regular" || (staff && found.kind === "walk_in"))) {
      throw unprocessable("SLOT_NOT_BOOKABLE", `A ${found.kind} slot cannot be booked here`);
    }
    if (found.start.getTime() <= Date.now()) throw unprocessable("SLOT_IN_PAST");

    // A rescheduled visit keeps its service within its clinic; elsewhere it takes the slot's.
    const kept = options.keepService?.clinicId === found.clinicId ? options.keepService.serviceId : null;
    const serviceId = input.serviceId ?? kept ?? found.slotServiceId;
    if (serviceId && service === null) await readService(serviceId, found.clinicId);
    const decision = await this.decide(em, principal, input, {
      place: { doctorId: found.doctorId, clinicId: found.clinicId, slotId: found.place.kind === "slot" ? found.place.slot.id : null, start: found.start, end: found.end },
      patient,
      patientId,
      serviceId,
      service,
      staff,
    });
    return {
      place: found.place,
      doctorId: found.doctorId,
      clinicId: found.clinicId,
      start: found.start,
      end: found.end,
      patient: { id: patient.id, userId: patient.user_id, tier: patient.subscription_tier },
      ...decision,
    };
  }

  /** The policy on the facts read: the price, the no-show standing, the clinic's booking rules. */
  private async decide(
    em: EntityManager,
    principal: UserPrincipal,
    input: { redeemPoints?: boolean | undefined },
    facts: {
      place: { doctorId: string; clinicId: string; slotId: string | null; start: Date; end: Date };
      patient: PatientFacts;
      patientId: string;
      serviceId: string | null;
      service: ServiceFacts | null;
      staff: boolean;
      rules?: BookingRuleFacts;
    },
  ): Promise<{ serviceId: string | null; pricing: Pricing; warning: string | null }> {
    const { place, patient, staff } = facts;
    const settings = clinicSettingsSchema.parse(patient.settings ?? {});
    const pricing = priceBooking({
      // A plan is what booking online needs; the clinic's own staff book anyone (a patient who phoned
      // in has none): such a visit is priced as the standard tier's — the fee, paid through a link.
      tier: staff && patient.subscription_tier === "none" ? "standard" : patient.subscription_tier,
      hasDoctorRelation: patient.relation,
      service: facts.service,
      doctorFeeMinor: patient.fee ?? 0,
      redeemPoints: this.ctx.ports.points.cost(settings, input.redeemPoints, facts.patientId === principal.patientId),
    });
    const standing = standingOf(patient.missed);
    // The block is on booking online: the clinic's own staff may still book (and see the warning).
    if (standing.warning && settings.blockRepeatedNoShows && !staff) {
      throw denied("NO_SHOW_BLOCKED");
    }
    const candidate = { slotId: place.slotId, doctorId: place.doctorId, serviceId: facts.serviceId, start: place.start, end: place.end };
    const violations = await checkBookingCandidate(em, place.clinicId, candidate, {
      patientActiveBookings: patient.active,
      ...(facts.rules ? { facts: facts.rules } : {}),
    });
    if (violations.length) throw unprocessable("RULE_VIOLATION", { violations });
    return { serviceId: facts.serviceId, pricing, warning: standing.warning ? NO_SHOW_WARNING : null };
  }

  /** Takes the prepared place and inserts the appointment. Caller holds the slot lock (slots only). */
  async takePlace(
    tx: EntityManager,
    changes: Changes,
    p: Prepared,
    actorUserId: string,
    target: { status: "pending" | "scheduled"; rescheduledFrom?: string; pendingMoveFrom?: string; payment?: Payment },
  ): Promise<AppointmentRow> {
    const pay = target.payment ?? paymentOf(p.pricing);
    // An unpaid hold is the payment window; a free one is the ordinary hold.
    const { holdTtlSeconds, paymentWindowSeconds } = this.ctx.config.booking;
    const holdSeconds = pay.payment_status === "unpaid" ? paymentWindowSeconds : holdTtlSeconds;
    const holdExpiresAt = target.status === "pending" ? new Date(Date.now() + holdSeconds * 1000) : null;
    let slotId: string | null = null;
    let elastic: { allocationId: string; blockId: string } | null = null;
    if (p.place.kind === "slot") {
      slotId = p.place.slot.id;
      await takeSlot(tx, changes, slotId, target.status, holdExpiresAt);
    } else {
      elastic = await takeElastic(tx, changes, p.place, { start: p.start, serviceId: p.serviceId, patientId: p.patient.id }, target.status);
    }
    const row = await insertAppointment(tx, {
      slotId, elasticAllocationId: elastic?.allocationId ?? null, patientId: p.patient.id, doctorId: p.doctorId, clinicId: p.clinicId,
      serviceId: p.serviceId, start: p.start, end: p.end, status: target.status, holdExpiresAt, payment: pay, bookedById: actorUserId,
      rescheduledFrom: target.rescheduledFrom ?? null, pendingMoveFrom: target.pendingMoveFrom ?? null,
    });
    changes.appointment(row.id, target.rescheduledFrom ? "rescheduled" : "created");
    // Expiring the block's lapsed holds may have moved the bookings after them.
    if (elastic) changes.retimed(await retimeBookedAllocations(tx, elastic.blockId));
    return row;
  }

  /** POST /appointments: a hold (pending appointment) on the slot or elastic offer. */
  async hold(principal: UserPrincipal, actor: AuditActor, input: CreateAppointmentRequest, idem: IdempotencyContext | null): Promise<StoredAnswer> {
    try {
      const answer = await holdFreeSlot(this.em(), {
        principal,
        actor,
        input,
        idem,
        holdSeconds: { free: this.ctx.config.booking.holdTtlSeconds, unpaid: this.ctx.config.booking.paymentWindowSeconds },
        decide: ({ slot, patient, service, rules, staff }) =>
          this.decide(this.em(), principal, input, {
            place: { doctorId: slot.doctor_id, clinicId: slot.clinic_id, slotId: slot.id, start: new Date(slot.starts_at), end: new Date(slot.ends_at) },
            patient,
            patientId: patient.id,
            serviceId: input.serviceId ?? slot.service_id,
            service,
            staff,
            rules,
          }),
        committed: (batchId, events) => this.ctx.outbox.committed(batchId, events),
      });
      if (answer) return answer;
    } catch (error) {
      // One statement took the slot and stored its answer: a twin that won has committed both, so
      // its answer is there to replay (no twin can be half-way, as in the transaction below).
      if (idem && ((error instanceof DomainError && error.status === 409) || isIdempotencyConflict(error))) {
        const stored = await storedAnswer(this.em(), idem);
        if (stored) return stored;
      }
      if (error instanceof DomainError) throw error;
      return mapDatabaseError(error);
    }
    return this.holdInTransaction(principal, actor, input, idem);
  }

  /** The general hold: every case (elastic offers, points, lapsed holds taken over) in one transaction. */
  private async holdInTransaction(principal: UserPrincipal, actor: AuditActor, input: CreateAppointmentRequest, idem: IdempotencyContext | null): Promise<StoredAnswer> {
    const em = this.em();
    if (idem) {
      const stored = await storedAnswer(em, idem);
      if (stored) return stored;
    }
    let lock: Lock | null = null;
    const changes = new Changes();
    try {
      const prepared = await this.prepare(em, principal, input);
      if (!idem) lock = await this.admit(prepared.place);
      const { answer } = await em.transactional(async (tx) => {
        if (idem) {
          if (!(await claimKey(tx, idem))) throw new AlreadyAnswered();
          lock = await this.admit(prepared.place);
        }
        const row = await this.takePlace(tx, changes, prepared, principal.userId, { status: "pending" });
        if (prepared.pricing.pointsRedeemed > 0) await this.ctx.ports.points.redeem(tx, actor, row, prepared.pricing.pointsRedeemed);
        const body: CreateAppointmentReply = {
          id: row.id,
          status: row.status,
          slotId: row.slot_id,
          elasticAllocationId: row.elastic_allocation_id,
          start: new Date(row.starts_at).toISOString(),
          end: new Date(row.ends_at).toISOString(),
          holdExpiresAt: row.hold_expires_at ? new Date(row.hold_expires_at).toISOString() : null,
          next: prepared.pricing.next,
          checkoutUrl: null,
          paymentStatus: row.payment_status,
          feeMinor: row.fee_minor,
          transactionFeeMinor: row.transaction_fee_minor,
          currency: row.currency,
          warning: prepared.warning,
        };
        const answer = { status: 201, body };
        if (idem) await storeAnswer(tx, idem, answer);
        recordAudit(tx, actor, { action: "booking.appointment.hold", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id, after: appointmentView(row) });
        await tx.flush();
        await changes.record(tx);
        return { answer };
      });
      if (lock) await this.locks.release(lock);
      lock = null;
      return answer;
    } catch (error) {
      if (error instanceof AlreadyAnswered && idem) {
        const stored = await storedAnswer(this.em(), idem);
        if (stored) return stored;
      }
      if (idem && error instanceof DomainError && error.status === 409) {
        const replay = await this.awaitTwin(idem);
        if (replay) return replay;
      }
      if (error instanceof DomainError) throw error;
      return mapDatabaseError(error);
    } finally {
      if (lock) await this.locks.release(lock);
    }
  }

  /** A keyed request that lost to a concurrent twin waits for the twin's commit and replays its answer. */
  private async awaitTwin(idem: IdempotencyContext): Promise<StoredAnswer | null> {
    const em = this.em();
    const claimed = await em
      .transactional(async (tx) => {
        if (await claimKey(tx, idem)) throw new AlreadyAnswered();
        return false;
      })
      .catch((error: unknown) => {
        if (error instanceof AlreadyAnswered) return true;
        throw error;
      });
    return claimed ? null : storedAnswer(em, idem);
  }

  /** Owner patient, the clinic's staff, the platform admin; others: 404 for patients, 403 for staff. */
  assertCanManage(principal: UserPrincipal, row: AppointmentRow, options: { doctor?: boolean; patient?: boolean } = {}) {
    const owner = principal.patientId === row.patient_id && options.patient !== false;
    const doctor = options.doctor === true && principal.doctorId === row.doctor_id;
    if (owner || doctor || actsAsClinicStaff(principal, row.clinic_id)) return;
    const staffish = principal.role !== "patient";
    if (staffish) throw forbidden("Not allowed on this appointment");
    throw notFound("Appointment");
  }

  /** GET /appointments/:id: the patient, the appointment's doctor, the clinic's staff. */
  async read(principal: UserPrincipal, id: string): Promise<AppointmentView> {
    const row = await readAppointment(this.em(), id);
    this.assertCanManage(principal, row, { doctor: true });
    return appointmentView(row);
  }

  /** POST /appointments/:id/confirm: a free hold becomes scheduled; a lapsed one expires (409 HOLD_EXPIRED). */
  async confirm(principal: UserPrincipal, actor: AuditActor, id: string): Promise<AppointmentView> {
    const fast = await confirmOnSlot(this.em(), id, {
      principal,
      actor,
      committed: (batchId, events) => this.ctx.outbox.committed(batchId, events),
      check: (row) => this.assertCanManage(principal, row),
      tell: (tx, row, facts) => notify(tx, freeBookingNotice(row.id, facts)),
    }).catch(mapDatabaseError);
    if (fast) {
      await dispatchMessages(this.ctx, fast.outbox);
      return appointmentView(fast.after);
    }
    // The general path: an elastic booking, a lapsed or unpaid hold, anything else.
    const em = this.em();
    this.assertCanManage(principal, await readAppointment(em, id));
    const changes = new Changes();
    const result = await em
      .transactional(async (tx) => {
        const row = await lockedAppointment(tx, id);
        if (row.status === "pending" && row.payment_status !== "not_required") {
          throw conflict("PAYMENT_REQUIRED");
        }
        if (isLapsedHold({ status: row.status, holdExpiresAt: row.hold_expires_at })) {
          await setAppointmentStatus(tx, row, "expired", principal.userId, "hold lapsed");
          changes.appointment(row.id, "expired");
          await releasePlace(tx, row, changes, "expired");
          recordAudit(tx, actor, { action: "booking.appointment.expire", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id });
          await tx.flush();
          await changes.record(tx);
          return { expired: true as const };
        }
        await setAppointmentStatus(tx, row, "scheduled", principal.userId, null);
        changes.appointment(row.id, "confirmed");
        await bookPlace(tx, row, changes);
        const outbox = await tellDoctorOfFreeBooking(tx, row);
        const after = appointmentView(await readAppointment(tx, id));
        recordAudit(tx, actor, { action: "booking.appointment.confirm", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id, before: appointmentView(row), after });
        await tx.flush();
        await changes.record(tx);
        return { expired: false as const, after, outbox };
      })
      .catch(mapDatabaseError);
    if (!result.expired) await dispatchMessages(this.ctx, result.outbox);
    if (result.expired) throw conflict("HOLD_EXPIRED");
    return result.after;
  }

  /** POST /appointments/:id/cancel: patients before the clinic's cutoff, staff any time; frees the slot. */
  async cancel(principal: UserPrincipal, actor: AuditActor, id: string, reason: string): Promise<AppointmentView> {
    const isStaff = (row: AppointmentRow) => actsAsClinicStaff(principal, row.clinic_id) || principal.doctorId === row.doctor_id;
    const fast = await cancelOnSlot(this.em(), id, reason, {
      principal,
      actor,
      committed: (batchId, events) => this.ctx.outbox.committed(batchId, events),
      check: (row) => this.assertCanManage(principal, row, { doctor: true }),
      cutoff: (row, settings, clinicPhone) => {
        if (!isStaff(row)) checkCutoff(row, settings, clinicPhone);
      },
    }).catch(mapDatabaseError);
    if (fast) return appointmentView(fast);
    // The general path: an elastic booking, pending moves to end, a slot in another state.
    const em = this.em();
    const current = await readAppointment(em, id);
    this.assertCanManage(principal, current, { doctor: true });
    const staff = isStaff(current);
    const changes = new Changes();
    const result = await em
      .transactional(async (tx) => {
        const row = await lockedAppointment(tx, id);
        await assertNotQueued(tx, id);
        if (!staff) await this.assertBeforeCutoff(tx, row);
        await setAppointmentStatus(tx, row, "cancelled", principal.userId, reason);
        changes.appointment(row.id, "cancelled");
        await releasePlace(tx, row, changes, "released");
        await endPendingMoves(tx, row.id, changes);
        const after = appointmentView(await readAppointment(tx, id));
        recordAudit(tx, actor, { action: "booking.appointment.cancel", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id, before: appointmentView(row), after });
        await tx.flush();
        await changes.record(tx);
        return { after };
      })
      .catch(mapDatabaseError);
    return result.after;
  }

  /** A patient's own changes to a scheduled visit stop `patientCancelCutoffHours` before it starts. */
  async assertBeforeCutoff(tx: EntityManager, row: AppointmentRow): Promise<void> {
    if (row.status === "pending") return;
    const [clinic] = await tx.execute<{ settings: unknown; phone: string | null }[]>(`select settings, phone from clinic where id = ?`, [row.clinic_id]);
    checkCutoff(row, clinic?.settings, clinic?.phone ?? null);
  }

  /** POST /appointments/:id/status: the appointment's doctor or the clinic's staff, through the state machine. */
  async changeStatus(principal: UserPrincipal, actor: AuditActor, id: string, to: AppointmentStatus, reason: string | null): Promise<AppointmentView> {
    const em = this.em();
    const current = await readAppointment(em, id);
    this.assertCanManage(principal, current, { doctor: true, patient: false });
    const changes = new Changes();
    const result = await em
      .transactional(async (tx) => {
        const row = await lockedAppointment(tx, id);
        await assertNotQueued(tx, id);
        await setAppointmentStatus(tx, row, to, principal.userId, reason);
        changes.appointment(row.id, "status_changed");
        if (to === "cancelled") await releasePlace(tx, row, changes, "released");
        // A visit that will not happen at its time any more cannot be moved either.
        await endPendingMoves(tx, row.id, changes);
        const after = appointmentView(await readAppointment(tx, id));
        recordAudit(tx, actor, { action: "booking.appointment.status", entityType: "Appointment", entityId: row.id, clinicId: row.clinic_id, before: appointmentView(row), after });
        await tx.flush();
        await changes.record(tx);
        return { after };
      })
      .catch(mapDatabaseError);
    return result.after;
  }

  /**
   * Expires a still-pending, lapsed hold and frees its place: the hold-expiry job and the lifecycle
   * sweep. Idempotent. `skipLocked` (the sweep): an appointment another transaction holds (a confirm,
   * another sweeper) is left to it (`busy`) rather than waited for.
   */
  async expireHold(appointmentId: string, options: { skipLocked?: boolean } = {}): Promise<"expired" | "not_due" | "gone" | "busy"> {
    const em = this.em();
    const changes = new Changes();
    const result = await em.transactional(async (tx) => {
      const row = await lockedAppointment(tx, appointmentId, { skipLocked: options.skipLocked ?? false }).catch((error: unknown) => {
        if (error instanceof DomainError && error.status === 404) return undefined;
        throw error;
      });
      if (row === null) return { outcome: "busy" as const };
      if (!row || row.status !== "pending") return { outcome: "gone" as const };
      if (!isLapsedHold({ status: row.status, holdExpiresAt: row.hold_expires_at })) return { outcome: "not_due" as const };
      await setAppointmentStatus(tx, row, "expired", null, "hold lapsed");
      changes.appointment(row.id, "expired");
      await releasePlace(tx, row, changes, "expired");
      recordAudit(tx, { userId: null, role: "system", ip: null, userAgent: null, requestId: null }, {
        action: "booking.appointment.expire",
        entityType: "Appointment",
        entityId: row.id,
        clinicId: row.clinic_id,
      });
      await tx.flush();
      await changes.record(tx);
      return { outcome: "expired" as const };
    });
    return result.outcome;
  }
}

/** The patient's cancel cutoff on the clinic's `settings` (a hold has none); past it, the problem says whom to call. */
function checkCutoff(row: AppointmentRow, settings: unknown, clinicPhone: string | null): void {
  if (row.status === "pending") return;
  const { patientCancelCutoffHours } = clinicSettingsSchema.parse(settings ?? {});
  if (new Date(row.starts_at).getTime() - patientCancelCutoffHours * 3_600_000 <= Date.now()) {
    const call = clinicPhone ? `call the clinic on ${formatPhone(clinicPhone)}` : "call the clinic";
    throw conflict("CANCEL_CUTOFF_PASSED", `Cancel online up to ${patientCancelCutoffHours} hours before; ${call}`, { clinicPhone });
  }
}
