/** Booking rules as data: a clinic admin's list, and the check the booking path and screens ask. */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, localDateOf, zonedToInstant, type BookingRuleView, type CreateBookingRuleRequest, type RuleViolation, type UpdateBookingRuleRequest } from "@clinic/shared";
import { notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { Clinic } from "../directory";
import { writeTransaction } from "../../platform/transactions";
import { BookingRule } from "./booking-rule.entity";
import { evaluateBookingRules } from "./booking-rules";
import { Slot } from "./slot.entity";
import { liveSlotHoldSql } from "./slot.store";

export function bookingRuleView(rule: BookingRule): BookingRuleView {
  return {
    id: rule.id,
    clinicId: rule.clinic.id,
    doctorId: rule.doctor?.id ?? null,
    serviceId: rule.service?.id ?? null,
    spec: rule.spec,
    active: rule.active,
    createdAt: rule.createdAt.toISOString(),
  };
}

async function findClinic(em: EntityManager, clinicId: string): Promise<Clinic> {
  const clinic = await em.findOne(Clinic, { id: clinicId });
  if (!clinic) throw notFound("Clinic");
  return clinic;
}

/** A rule's doctor must work at its clinic and its service must be that clinic's. */
async function assertScopeBelongs(em: EntityManager, clinicId: string, doctorId: string | null, serviceId: string | null) {
  if (doctorId !== null) {
    const [row] = await em.execute<{ n: number }[]>(
      `select count(*)::int as n from doctor_clinic where doctor_id = ? and clinic_id = ?`,
      [doctorId, clinicId],
    );
    if (!row?.n) throw unprocessable("DOCTOR_NOT_AT_CLINIC", { field: "body.doctorId" });
  }
  if (serviceId !== null) {
    const [row] = await em.execute<{ n: number }[]>(
      `select count(*)::int as n from clinic_service where id = ? and clinic_id = ?`,
      [serviceId, clinicId],
    );
    if (!row?.n) throw unprocessable("SERVICE_NOT_AT_CLINIC", { field: "body.serviceId" });
  }
}

export async function listBookingRules(em: EntityManager, clinicId: string): Promise<BookingRuleView[]> {
  await findClinic(em, clinicId);
  const rules = await em.find(BookingRule, { clinic: clinicId }, { orderBy: { createdAt: "asc", id: "asc" } });
  return rules.map(bookingRuleView);
}

/** The clinic a rule belongs to (for the guard); 404 when absent. */
export async function bookingRuleClinicId(em: EntityManager, ruleId: string): Promise<string> {
  const rule = await em.findOne(BookingRule, { id: ruleId });
  if (!rule) throw notFound("Booking rule");
  return rule.clinic.id;
}

export function createBookingRule(em: EntityManager, actor: AuditActor, clinicId: string, input: CreateBookingRuleRequest) {
  return writeTransaction(em, async (tx) => {
    await findClinic(tx, clinicId);
    const doctorId = input.doctorId ?? null;
    const serviceId = input.serviceId ?? null;
    await assertScopeBelongs(tx, clinicId, doctorId, serviceId);
    const rule = tx.create(BookingRule, { clinic: clinicId, doctor: doctorId, service: serviceId, spec: input.spec, active: input.active ?? true });
    await tx.flush();
    const after = bookingRuleView(rule);
    recordAudit(tx, actor, { action: "scheduling.booking_rule.create", entityType: "BookingRule", entityId: rule.id, clinicId, after });
    await tx.flush();
    return after;
  });
}

export function updateBookingRule(em: EntityManager, actor: AuditActor, ruleId: string, input: UpdateBookingRuleRequest) {
  return writeTransaction(em, async (tx) => {
    const rule = await tx.findOne(BookingRule, { id: ruleId });
    if (!rule) throw notFound("Booking rule");
    const before = bookingRuleView(rule);
    const doctorId = input.doctorId === undefined ? before.doctorId : input.doctorId;
    const serviceId = input.serviceId === undefined ? before.serviceId : input.serviceId;
    await assertScopeBelongs(tx, before.clinicId, doctorId, serviceId);
    tx.assign(rule, {
      doctor: doctorId,
      service: serviceId,
      ...(input.spec !== undefined ? { spec: input.spec } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
    });
    await tx.flush();
    const after = bookingRuleView(rule);
    recordAudit(tx, actor, { action: "scheduling.booking_rule.update", entityType: "BookingRule", entityId: rule.id, clinicId: before.clinicId, before, after });
    await tx.flush();
    return after;
  });
}

export function deleteBookingRule(em: EntityManager, actor: AuditActor, ruleId: string): Promise<void> {
  return writeTransaction(em, async (tx) => {
    const rule = await tx.findOne(BookingRule, { id: ruleId });
    if (!rule) throw notFound("Booking rule");
    const before = bookingRuleView(rule);
    tx.remove(rule);
    recordAudit(tx, actor, { action: "scheduling.booking_rule.delete", entityType: "BookingRule", entityId: ruleId, clinicId: before.clinicId, before });
    await tx.flush();
  });
}

/** A booking about to be made: a slot, or an elastic offer (no slot id). */
export interface BookingCandidate {
  slotId: string | null;
  doctorId: string;
  serviceId: string | null;
  start: Date;
  end: Date;
}

/** Checks a slot against the clinic's active rules (see `checkBookingCandidate`). */
export async function checkBookingRules(
  em: EntityManager,
  clinicId: string,
  slotId: string,
  options: { patientActiveBookings?: number; now?: Date } = {},
): Promise<RuleViolation[]> {
  const slot = await em.findOne(Slot, { id: slotId, clinic: clinicId });
  if (!slot) throw notFound("Slot");
  const candidate = { slotId, doctorId: slot.doctor.id, serviceId: slot.service?.id ?? null, start: slot.startsAt, end: slot.endsAt };
  return checkBookingCandidate(em, clinicId, candidate, options);
}

/**
 * Checks a booking against the clinic's active rules. The doctor's "other appointments that day" are
 * their booked slots and live holds, and their live elastic bookings, on the candidate's local day
 * (any clinic: a doctor's gap and daily load do not stop at a clinic's door).
 */
export async function checkBookingCandidate(
  em: EntityManager,
  clinicId: string,
  candidate: BookingCandidate,
  options: { patientActiveBookings?: number; now?: Date } = {},
): Promise<RuleViolation[]> {
  const now = options.now ?? new Date();
  const clinic = await findClinic(em, clinicId);
  const day = localDateOf(candidate.start, clinic.timeZone);
  const dayStart = zonedToInstant(day, "00:00", clinic.timeZone);
  const dayEnd = zonedToInstant(addDays(day, 1), "00:00", clinic.timeZone);
  const [rules, appointments] = await Promise.all([
    em.find(BookingRule, { clinic: clinicId, active: true }, { orderBy: { createdAt: "asc", id: "asc" } }),
    // The doctor's taken time that day: booked or live-held slots, and elastic bookings that are live
    // (booking's liveAppointmentSql, written out: scheduling sits below booking in the layers).
    em.execute<{ starts_at: Date; ends_at: Date }[]>(
      `select starts_at, ends_at from slot
        where doctor_id = ? and id is distinct from ?::uuid and starts_at >= ? and starts_at < ?
          and (status = 'booked' or ${liveSlotHoldSql("slot", "?")})
       union all
       select starts_at, ends_at from appointment
        where doctor_id = ? and elastic_allocation_id is not null and starts_at >= ? and starts_at < ?
          and (status in ('scheduled', 'checked_in', 'in_consultation') or (status = 'pending' and hold_expires_at > ?))`,
      [candidate.doctorId, candidate.slotId, dayStart, dayEnd, now, candidate.doctorId, dayStart, dayEnd, now],
    ),
  ]);
  return evaluateBookingRules(
    rules.map((rule) => ({
      id: rule.id,
      spec: rule.spec,
      scope: { clinicId: rule.clinic.id, doctorId: rule.doctor?.id ?? null, serviceId: rule.service?.id ?? null },
    })),
    {
      slot: { start: candidate.start, end: candidate.end, doctorId: candidate.doctorId, clinicId, serviceId: candidate.serviceId },
      timeZone: clinic.timeZone,
      now,
      doctorAppointments: appointments.map((row) => ({ start: new Date(row.starts_at), end: new Date(row.ends_at) })),
      ...(options.patientActiveBookings !== undefined ? { patientActiveBookings: options.patientActiveBookings } : {}),
    },
  );
}
