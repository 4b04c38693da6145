/** Booking rules as data: a clinic admin's list, and the check the booking path and screens ask. */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, localDateOf, zonedToInstant, type BookingRuleSpec, type BookingRuleView, type CreateBookingRuleRequest, type RuleViolation, type UpdateBookingRuleRequest } from "@clinic/shared";
import { notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { Clinic } from "../directory";
import { prepared, runPrepared } from "../../platform/prepared";
import { writeTransaction } from "../../platform/transactions";
import { BookingRule } from "./booking-rule.entity";
import { evaluateBookingRules, ruleApplies, type BookingRuleInput } from "./booking-rules";
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
 * SQL: the clinic's active booking rules as a JSON array of `BookingRuleInput`, in the order they are
 * evaluated (oldest first). `clinicId` is SQL for the clinic's id, so a caller can read the rules with
 * its other facts in one statement (the booking hot path does).
 */
export const activeBookingRulesSql = (clinicId: string) =>
  `(select coalesce(json_agg(json_build_object('id', r.id, 'spec', r.spec,
            'scope', json_build_object('clinicId', r.clinic_id, 'doctorId', r.doctor_id, 'serviceId', r.service_id)) order by r.created_at, r.id), '[]'::json)
      from booking_rule r where r.clinic_id = ${clinicId} and r.active)`;

/** What the rules of a clinic are checked with. */
export interface BookingRuleFacts {
  timeZone: string;
  rules: BookingRuleInput[];
}

const RULE_FACTS = prepared<{ time_zone: string; rules: BookingRuleInput[] }>(
  "scheduling_booking_rule_facts",
  `select c.time_zone, ${activeBookingRulesSql("c.id")} as rules from clinic c where c.id = $1`,
);

/**
 * The doctor's taken time on a day: booked or live-held slots, and elastic bookings that are live
 * (booking's liveAppointmentSql, written out: scheduling sits below booking in the layers).
 */
const DOCTOR_DAY = prepared<{ starts_at: Date; ends_at: Date }>(
  "scheduling_doctor_taken_day",
  `select starts_at, ends_at from slot
    where doctor_id = $1 and id is distinct from $2::uuid and starts_at >= $3 and starts_at < $4
      and (status = 'booked' or ${liveSlotHoldSql("slot", "$5")})
   union all
   select starts_at, ends_at from appointment
    where doctor_id = $1 and elastic_allocation_id is not null and starts_at >= $3 and starts_at < $4
      and (status in ('scheduled', 'checked_in', 'in_consultation') or (status = 'pending' and hold_expires_at > $5))`,
);

/** Rules that look at the doctor's other appointments that day (the only ones that need them read). */
const DAY_RULES = new Set<BookingRuleSpec["type"]>(["maxAppointmentsPerDay", "minGapMinutes"]);

/**
 * Checks a booking against the clinic's active rules (`facts`, when the caller read them with its
 * own; else read here). The doctor's "other appointments that day" are their booked slots and live
 * holds, and their live elastic bookings, on the candidate's local day (any clinic: a doctor's gap
 * and daily load do not stop at a clinic's door); they are read only when a rule that applies needs them.
 */
export async function checkBookingCandidate(
  em: EntityManager,
  clinicId: string,
  candidate: BookingCandidate,
  options: { patientActiveBookings?: number; now?: Date; facts?: BookingRuleFacts } = {},
): Promise<RuleViolation[]> {
  const now = options.now ?? new Date();
  const facts = options.facts ?? (await readRuleFacts(em, clinicId));
  const slot = { start: candidate.start, end: candidate.end, doctorId: candidate.doctorId, clinicId, serviceId: candidate.serviceId };
  const rules = facts.rules.filter((rule) => ruleApplies(rule.scope, slot));
  if (rules.length === 0) return [];
  let appointments: { starts_at: Date; ends_at: Date }[] = [];
  if (rules.some((rule) => DAY_RULES.has(rule.spec.type))) {
    const day = localDateOf(candidate.start, facts.timeZone);
    const dayStart = zonedToInstant(day, "00:00", facts.timeZone);
    const dayEnd = zonedToInstant(addDays(day, 1), "00:00", facts.timeZone);
    appointments = await runPrepared(em, DOCTOR_DAY, [candidate.doctorId, candidate.slotId, dayStart, dayEnd, now]);
  }
  return evaluateBookingRules(rules, {
    slot,
    timeZone: facts.timeZone,
    now,
    doctorAppointments: appointments.map((row) => ({ start: new Date(row.starts_at), end: new Date(row.ends_at) })),
    ...(options.patientActiveBookings !== undefined ? { patientActiveBookings: options.patientActiveBookings } : {}),
  });
}

async function readRuleFacts(em: EntityManager, clinicId: string): Promise<BookingRuleFacts> {
  const [row] = await runPrepared(em, RULE_FACTS, [clinicId]);
  if (!row) throw notFound("Clinic");
  return { timeZone: row.time_zone, rules: row.rules };
}
