/**
 * Overbooking: a clinic admin's policy allows a doctor (or service) to get slots over the normal
 * grid, at most `capPerDay` a day; staff then create them one by one, with a reason. The count
 * runs under a transaction-level advisory lock on doctor + local day, so concurrent overbooks
 * cannot both squeeze past the cap.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, localDateOf, zonedToInstant, type OverbookingPolicyView, type StaffSlotView } from "@clinic/shared";
import { notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { Clinic, ClinicService } from "../directory";
import { requireDoctorAtClinic } from "./availability-rule.service";
import { OverbookingPolicy } from "./booking-rule.entity";
import { sql } from "./conflicts.service";
import { entityChange, recorded, type WithSlotChanges } from "./slot-events";
import { Slot } from "./slot.entity";
import { overbookingPolicyView, staffSlotView } from "./slot.views";

async function serviceAt(em: EntityManager, clinicId: string, serviceId: string | null | undefined) {
  if (!serviceId) return null;
  const service = await em.findOne(ClinicService, { id: serviceId, clinic: clinicId });
  if (!service) throw unprocessable("UNKNOWN_SERVICE", { serviceId });
  return service;
}

export async function createOverbookingPolicy(
  em: EntityManager,
  actor: AuditActor,
  clinicId: string,
  input: { doctorId?: string | null; serviceId?: string | null; capPerDay: number; reason: string },
): Promise<OverbookingPolicyView> {
  return em.transactional(async (tx) => {
    if (!(await tx.findOne(Clinic, clinicId))) throw notFound("Clinic");
    if (input.doctorId) await requireDoctorAtClinic(tx, input.doctorId, clinicId);
    const service = await serviceAt(tx, clinicId, input.serviceId);
    const policy = tx.create(OverbookingPolicy, {
      clinic: clinicId,
      doctor: input.doctorId ?? null,
      service,
      capPerDay: input.capPerDay,
      allowedBy: actor.userId,
      reason: input.reason,
    });
    await tx.flush();
    const after = overbookingPolicyView(policy);
    recordAudit(tx, actor, { action: "schedule.overbooking.policy.create", entityType: "OverbookingPolicy", entityId: policy.id, clinicId, after });
    await tx.flush();
    return after;
  });
}

export async function listOverbookingPolicies(em: EntityManager, clinicId: string): Promise<OverbookingPolicyView[]> {
  return (await em.find(OverbookingPolicy, { clinic: clinicId }, { orderBy: { createdAt: "asc" } })).map(overbookingPolicyView);
}

export async function overbook(
  em: EntityManager,
  actor: AuditActor,
  doctorId: string,
  input: { clinicId: string; startsAt: string; endsAt: string; serviceId?: string | null; reason: string },
): Promise<WithSlotChanges<StaffSlotView>> {
  return em.transactional(async (tx) => {
    await requireDoctorAtClinic(tx, doctorId, input.clinicId);
    const clinic = await tx.findOneOrFail(Clinic, input.clinicId);
    const service = await serviceAt(tx, input.clinicId, input.serviceId);
    const startsAt = new Date(input.startsAt);
    const allowance = await overbookingAllowance(tx, { clinicId: input.clinicId, doctorId, serviceId: service?.id ?? null, startsAt, timeZone: clinic.timeZone });
    if (!allowance) {
      throw unprocessable("OVERBOOKING_NOT_ALLOWED");
    }
    if (allowance.used >= allowance.cap) {
      throw unprocessable("OVERBOOKING_CAP_REACHED", `The doctor already has ${allowance.used} overbooked slot(s) on ${allowance.day} (cap ${allowance.cap})`, {
        day: allowance.day,
        capPerDay: allowance.cap,
        used: allowance.used,
      });
    }
    const slot = tx.create(Slot, {
      doctor: doctorId,
      clinic: input.clinicId,
      rule: null,
      service,
      startsAt,
      endsAt: new Date(input.endsAt),
      status: "available",
      kind: "regular",
      tags: [],
      note: null,
      overbooked: true,
      overbookedBy: actor.userId,
      overbookReason: input.reason,
      version: 1,
    });
    await tx.flush();
    const after = staffSlotView(slot);
    recordAudit(tx, actor, { action: "schedule.slot.overbook", entityType: "Slot", entityId: slot.id, clinicId: input.clinicId, after });
    await tx.flush();
    return recorded(tx, { reply: after, changes: [entityChange(slot, "created")] });
  });
}

/** How far a doctor may be overbooked on the local day of `startsAt`: the cap and the overbooked slots already there. */
export interface OverbookingAllowance {
  day: string;
  cap: number;
  used: number;
}

/**
 * The clinic's overbooking allowance for a doctor (and service) on one local day, null when no
 * policy covers them. Takes the doctor-and-day advisory lock for the rest of `tx`, so whoever then
 * makes an overbooked slot cannot be squeezed past the cap by a concurrent writer.
 */
export async function overbookingAllowance(
  tx: EntityManager,
  input: { clinicId: string; doctorId: string; serviceId: string | null; startsAt: Date; timeZone: string },
): Promise<OverbookingAllowance | null> {
  const policies = await tx.find(OverbookingPolicy, {
    clinic: input.clinicId,
    $and: [{ $or: [{ doctor: null }, { doctor: input.doctorId }] }, { $or: [{ service: null }, ...(input.serviceId ? [{ service: input.serviceId }] : [])] }],
  });
  if (policies.length === 0) return null;
  const day = localDateOf(input.startsAt, input.timeZone);
  await sql(tx, `select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`overbook:${input.doctorId}:${day}`]);
  const [row] = await sql<{ n: string }>(
    tx,
    `select count(*) as n from slot where doctor_id = ? and overbooked and status <> 'expired' and starts_at >= ? and starts_at < ?`,
    [input.doctorId, zonedToInstant(day, "00:00", input.timeZone), zonedToInstant(addDays(day, 1), "00:00", input.timeZone)],
  );
  return { day, cap: Math.max(...policies.map((p) => p.capPerDay)), used: Number(row?.n ?? 0) };
}
