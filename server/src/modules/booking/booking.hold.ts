/**
 * `POST /appointments` on a free slot in two prepared statements (docs/booking.md "The hold's fast
 * path", docs/performance.md): one read of every fact the decision needs, and one write, a CTE in
 * autocommit, that takes the slot at the version read and, only if it did, inserts the appointment,
 * its audit row, its idempotency answer and its domain events. One statement is one transaction: all
 * of it commits or none. The rows the write creates are built here (ids, times, the reply), so the
 * write returns nothing but whether it booked.
 *
 * The common case only. Anything else — an elastic offer, points to redeem, a slot held by a lapsed
 * hold, an answer already stored for the key, a missing or inactive row, another patient's booking
 * by someone who is not staff — is left to the general path (`BookingService.hold`), with its every
 * check, by returning null before anything is written. A slot someone else holds is 409 at once.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { CreateAppointmentReply, CreateAppointmentRequest, NewDomainEvent, SubscriptionTier } from "@clinic/shared";
import { auditInsertSql, auditValues, type AuditActor } from "../../platform/audit";
import { eventsJson, insertEventsSql, type Outbox } from "../../platform/outbox";
import { prepared, runPrepared } from "../../platform/prepared";
import { actsAsClinicStaff, type UserPrincipal } from "../identity";
import { activeBookingRulesSql, isFree, slotChange, slotTaken, type BookingRuleFacts, type SlotRow } from "../scheduling";
import { appointmentChange, appointmentView, liveAppointmentSql, type AppointmentRow } from "./appointment.views";
import { missedOfLastFiveSql, type Pricing } from "./booking-policy";
import type { IdempotencyContext, StoredAnswer } from "./idempotency";

/** The patient's facts the policy reads (the general path reads the same in `prepare`). */
export interface PatientFacts {
  id: string;
  user_id: string;
  subscription_tier: SubscriptionTier;
  relation: boolean;
  fee: number | null;
  settings: unknown;
  active: number;
  missed: number;
}

/** A service as the policy prices it. */
export interface ServiceFacts {
  priceMinor: number;
  currency: string;
  paymentRequired: boolean;
  minutes: number;
}

/** SQL: the patient facts of the patient `patient`, for the doctor `doctor` at the clinic `clinic` (SQL expressions). */
const patientFactsSql = (patient: string, doctor: string, clinic: string) => `
  p.id, p.user_id, p.subscription_tier,
  exists(select 1 from doctor_patient dp where dp.doctor_id = ${doctor} and dp.patient_id = p.id) as relation,
  (select consultation_fee_minor from doctor where id = ${doctor}) as fee,
  (select settings from clinic where id = ${clinic}) as settings,
  (select count(*)::int from appointment a where a.patient_id = p.id and a.starts_at > now() and ${liveAppointmentSql("a")}) as active,
  ${missedOfLastFiveSql("p.id")} as missed
  from patient p where p.id = ${patient}`;

/** $1 patient, $2 doctor, $3 clinic: the patient's facts for the general path (the fast hold reads them with the slot). */
export const PATIENT_FACTS = prepared<PatientFacts>("booking_patient_facts", `select ${patientFactsSql("$1::uuid", "$2::uuid", "$3::uuid")}`);

type HoldFacts = SlotRow & {
    patient: PatientFacts | null;
    clinic_active: boolean;
    time_zone: string;
    rules: BookingRuleFacts["rules"];
    service: ServiceFacts | null;
    answered: boolean;
  };

/** $1 slot, $2 patient, $3 the service asked for (or null), $4 user, $5 idempotency key (or null). */
const READ = prepared<HoldFacts>(
  "booking_hold_read",
  `select s.id, s.doctor_id, s.clinic_id, s.service_id, s.starts_at, s.ends_at, s.status, s.kind, s.tags, s.note, s.version, s.hold_expires_at,
          c.active as clinic_active, c.time_zone, ${activeBookingRulesSql("s.clinic_id")} as rules,
          (select json_build_object('priceMinor', cs.price_minor, 'currency', cs.currency, 'paymentRequired', cs.payment_required, 'minutes', cs.duration_minutes)
             from clinic_service cs where cs.id = coalesce($3::uuid, s.service_id) and cs.clinic_id = s.clinic_id and cs.active) as service,
          exists(select 1 from idempotency_record i where i.user_id = $4 and i.key = $5) as answered,
          (select row_to_json(facts) from (select ${patientFactsSql("$2::uuid", "s.doctor_id", "s.clinic_id")}) facts) as patient
     from slot s join clinic c on c.id = s.clinic_id
    where s.id = $1`,
);

/**
 * $1 slot, $2 its version read, $3 hold expiry, $4 appointment id, $5 patient, $6 doctor, $7 clinic,
 * $8 service, $9 start, $10 end, $11–$15 payment (status, fee, transaction fee, currency, due),
 * $16 booked by, $17 created at; audit $18–$23; idempotency $24 user, $25 key (null: none), $26
 * route, $27 request hash, $28 answer; events $29 batch, $30 `[{name, data}]`.
 */
const WRITE = prepared<{ booked: boolean; events: { id: string; occurredAt: string }[] | null }>(
  "booking_hold_write",
  `with taken as (
     update slot set status = 'held', hold_expires_at = $3::timestamptz, version = version + 1, updated_at = now()
      where id = $1::uuid and version = $2::int and status = 'available' returning id
   ), appointment as (
     insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, hold_expires_at,
        payment_status, fee_minor, transaction_fee_minor, currency, amount_due_minor, booked_by_id, version, created_at, updated_at)
     select $4::uuid, taken.id, $5::uuid, $6::uuid, $7::uuid, $8::uuid, $9::timestamptz, $10::timestamptz, 'pending', $3::timestamptz,
            $11::text, $12::int, $13::int, $14::text, $15::int, $16::uuid, 1, $17::timestamptz, $17::timestamptz from taken
     returning id
   ), audit as (
     ${auditInsertSql("appointment", {
       actor: ["$18::uuid", "$19::text", "$20::text", "$21::text", "$22::text"],
       action: "'booking.appointment.hold'",
       entityType: "'Appointment'",
       entityId: "appointment.id::text",
       clinicId: "$7::uuid",
       after: "$23::jsonb",
     })}
   ), answer as (
     insert into idempotency_record (user_id, key, route, request_hash, response_status, response_body, created_at)
     select $24::uuid, $25::text, $26::text, $27::text, 201, $28::jsonb, now() from appointment where $25::text is not null
   ), events as (
     ${insertEventsSql("$29::uuid", "$30::jsonb", "exists (select 1 from appointment)")} returning id, occurred_at
   )
   select exists (select 1 from appointment) as booked,
          (select json_agg(json_build_object('id', events.id::text, 'occurredAt', events.occurred_at) order by events.id) from events) as events`,
);

/** What the caller decides with the facts read: the policy, priced and checked (BookingService.decide). */
export interface HoldDecision {
  pricing: Pricing;
  serviceId: string | null;
  warning: string | null;
}

export interface FastHoldContext {
  principal: UserPrincipal;
  actor: AuditActor;
  input: CreateAppointmentRequest;
  idem: IdempotencyContext | null;
  holdSeconds: { free: number; unpaid: number };
  decide(facts: { slot: SlotRow; patient: PatientFacts; service: ServiceFacts | null; rules: BookingRuleFacts; staff: boolean }): Promise<HoldDecision>;
  /** The batch's events were committed by the write: deliver them (`Outbox.committed`). */
  committed: Outbox["committed"];
}

/**
 * The hold in two statements, or null when the request is not the common case (nothing written;
 * the general path answers it). Throws the policy's and the rules' problems, and 409 SLOT_TAKEN
 * when the slot was taken (or changed) between the read and the write.
 */
export async function holdFreeSlot(em: EntityManager, c: FastHoldContext): Promise<StoredAnswer | null> {
  const { principal, input, idem } = c;
  const patientId = input.patientId ?? principal.patientId;
  if (!input.slotId || input.elastic || input.redeemPoints || !patientId) return null;
  const [facts] = await runPrepared(em, READ, [input.slotId, patientId, input.serviceId ?? null, principal.userId, idem?.key ?? null]);
  // A stored answer is replayed, a missing row reported, by the general path; a taken slot is 409
  // there as here, before any other check (so a hot slot's losers cost one read).
  if (!facts || facts.answered) return null;
  if (!isFree(facts)) throw slotTaken();
  if (!facts.patient || !facts.clinic_active || facts.status !== "available") return null;
  const staff = actsAsClinicStaff(principal, facts.clinic_id);
  if (patientId !== principal.patientId && !staff) return null;
  if (!(facts.kind === "regular" || (staff && facts.kind === "walk_in"))) return null;
  if (new Date(facts.starts_at).getTime() <= Date.now()) return null;
  const serviceId = input.serviceId ?? facts.service_id;
  if (serviceId && !facts.service) return null;

  const { patient, ...slot } = facts;
  const decision = await c.decide({ slot, patient, service: serviceId ? facts.service : null, rules: { timeZone: facts.time_zone, rules: facts.rules }, staff });
  const { pricing } = decision;

  const now = new Date();
  const holdExpiresAt = new Date(now.getTime() + (pricing.paymentStatus === "unpaid" ? c.holdSeconds.unpaid : c.holdSeconds.free) * 1000);
  const row: AppointmentRow = {
    id: randomUUID(),
    slot_id: slot.id,
    elastic_allocation_id: null,
    patient_id: patient.id,
    doctor_id: slot.doctor_id,
    clinic_id: slot.clinic_id,
    service_id: decision.serviceId,
    starts_at: new Date(slot.starts_at),
    ends_at: new Date(slot.ends_at),
    status: "pending",
    hold_expires_at: holdExpiresAt,
    payment_status: pricing.paymentStatus,
    fee_minor: pricing.feeMinor,
    transaction_fee_minor: pricing.transactionFeeMinor,
    currency: pricing.currency,
    amount_due_minor: pricing.paymentStatus === "unpaid" ? pricing.feeMinor + pricing.transactionFeeMinor : 0,
    status_reason: null,
    rescheduled_from: null,
    pending_move_from: null,
    probable_no_show_at: null,
    expected_start_at: null,
    version: 1,
    created_at: now,
  };
  const view = appointmentView(row);
  const body: CreateAppointmentReply = {
    id: row.id,
    status: row.status,
    slotId: row.slot_id,
    elasticAllocationId: null,
    start: view.start,
    end: view.end,
    holdExpiresAt: view.holdExpiresAt,
    next: pricing.next,
    checkoutUrl: null,
    paymentStatus: row.payment_status,
    feeMinor: row.fee_minor,
    transactionFeeMinor: row.transaction_fee_minor,
    currency: row.currency,
    warning: decision.warning,
  };
  const events: NewDomainEvent[] = [
    { name: "slot.held", data: slotChange({ ...slot, status: "held", version: slot.version + 1, hold_expires_at: holdExpiresAt }, "held") },
    { name: "appointment.created", data: appointmentChange({ ...row, patient_user_id: patient.user_id }, "created") },
  ];
  const batchId = randomUUID();
  const [written] = await runPrepared(em, WRITE, [
    slot.id, slot.version, holdExpiresAt, row.id, row.patient_id, row.doctor_id, row.clinic_id, row.service_id, row.starts_at, row.ends_at,
    row.payment_status, row.fee_minor, row.transaction_fee_minor, row.currency, row.amount_due_minor, principal.userId, now,
    ...auditValues(c.actor), JSON.stringify(view),
    principal.userId, idem?.key ?? null, idem?.route ?? null, idem?.requestHash ?? null, JSON.stringify(body),
    batchId, eventsJson(events),
  ]).catch((error: unknown) => {
    if ((error as { constraint?: string }).constraint === "appointment_one_live_per_slot") throw slotTaken();
    throw error;
  });
  if (!written?.booked || !written.events) throw slotTaken();
  c.committed(
    batchId,
    written.events.map((event, index) => ({ ...events[index]!, id: event.id, occurredAt: new Date(event.occurredAt) })),
  );
  return { status: 201, body };
}

