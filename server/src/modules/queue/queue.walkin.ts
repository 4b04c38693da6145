/**
 * Walk-ins and emergencies: an existing patient or a quick new record (name + phone) joins the
 * queue for a doctor or any doctor. Capacity is today's free `walk_in` slots of the schedule at the
 * clinic (`emergency` slots for emergencies): the entry takes one (slot → booked) in its transaction,
 * picked `for update skip locked` and taken by a conditional update, so racing walk-ins never use
 * one slot twice. No slot left → 409 NO_WALK_IN_CAPACITY {nextFreeAt}. Emergencies are never refused.
 */
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, zonedToInstant, type QueueEntryView, type WalkInRequest } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { conflict, DomainError, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { phoneTypedAt, quickPatient } from "../directory";
import { authorize, type UserPrincipal } from "../identity";
import { doctorWorksAt } from "../scheduling";
import { auditEntry } from "./queue.checkin";
import { QueueChanges } from "./queue.commit";
import { clinicFacts, entryView, insertEntry, mapQueueDatabaseError, type ClinicFacts } from "./queue.store";

export class WalkInService {
  constructor(private readonly ctx: ModuleContext) {}

  private em(): EntityManager {
    return this.ctx.orm.em.fork() as unknown as EntityManager;
  }

  /** POST /clinics/:clinicId/queue/walk-ins (the clinic's staff). */
  async register(principal: UserPrincipal, actor: AuditActor, clinicId: string, input: WalkInRequest): Promise<QueueEntryView> {
    authorize(principal, "clinic.queue.manage", { clinicId });
    const em = this.em();
    const clinic = await clinicFacts(em, clinicId);
    const doctorId = input.doctorId ?? null;
    if (doctorId && !(await doctorWorksAt(em, doctorId, clinic.id))) {
      throw unprocessable("DOCTOR_NOT_AT_CLINIC", { field: "body.doctorId" });
    }
    if (input.patientId) {
      const found = await em.execute(`select 1 from patient where id = ?`, [input.patientId]);
      if (found.length === 0) throw notFound("Patient", { field: "body.patientId" });
    }
    const newPatient = input.newPatient && { name: input.newPatient.name, phone: phoneTypedAt(clinic.phone, input.newPatient.phone, "body.newPatient.phone") };
    const changes = new QueueChanges();
    const sealed = await em
      .transactional(async (tx) => {
        const patient = input.patientId ? { id: input.patientId, created: false } : await quickPatient(tx, newPatient!, "body.newPatient.phone");
        const slotId = await takeCapacity(tx, changes, clinic, doctorId, input.kind);
        const entry = await insertEntry(tx, {
          clinicId: clinic.id,
          serviceDay: clinic.today,
          doctorId,
          patientId: patient.id,
          appointmentId: null,
          slotId,
          kind: input.kind,
          reason: input.reason ?? null,
        });
        changes.entry(entry, "walked_in");
        recordAudit(tx, actor, {
          action: input.kind === "emergency" ? "queue.emergency" : "queue.walk_in",
          entityType: "QueueEntry",
          entityId: entry.id,
          clinicId: clinic.id,
          after: { ...auditEntry(entryView(entry)), newPatientRecord: patient.created },
        });
        await tx.flush();
        return changes.record(tx);
      })
      .catch((error: unknown) => {
        // Two desks creating a record for one phone at once: the retry finds the record.
        if (error instanceof UniqueConstraintViolationException) throw conflict("CONCURRENT_CHANGE");
        if (error instanceof DomainError) throw error;
        return mapQueueDatabaseError(error);
      });
    return sealed[0]!.entry;
  }
}

/** The clinic's local day as instants [start, end). */
export function dayBounds(clinic: ClinicFacts): { start: Date; end: Date } {
  return { start: zonedToInstant(clinic.today, "00:00", clinic.timeZone), end: zonedToInstant(addDays(clinic.today, 1), "00:00", clinic.timeZone) };
}

/**
 * Takes one free walk-in (or emergency) slot of today that has not ended, earliest first, for the
 * doctor or any doctor of the clinic. Returns its id, or null for an emergency with none free.
 */
async function takeCapacity(tx: EntityManager, changes: QueueChanges, clinic: ClinicFacts, doctorId: string | null, kind: "walk_in" | "emergency"): Promise<string | null> {
  const { start, end } = dayBounds(clinic);
  const [slot] = await tx.execute<{ id: string }[]>(
    `select id from slot
      where clinic_id = ? and kind = ? and (?::uuid is null or doctor_id = ?) and status = 'available'
        and starts_at >= ? and starts_at < ? and ends_at > now()
      order by starts_at, id limit 1 for update skip locked`,
    [clinic.id, kind, doctorId, doctorId, start, end],
  );
  if (slot) {
    const taken = await tx.execute<{ id: string }[]>(
      `update slot set status = 'booked', version = version + 1, updated_at = now() where id = ? and status = 'available' returning id`,
      [slot.id],
    );
    if (taken.length === 1) {
      changes.booking.slot(slot.id, "booked");
      return slot.id;
    }
  }
  if (kind === "emergency") return null;
  const [next] = await tx.execute<{ starts_at: Date | null }[]>(
    `select min(starts_at) as starts_at from slot
      where clinic_id = ? and kind = 'walk_in' and (?::uuid is null or doctor_id = ?) and status = 'available' and starts_at >= ?`,
    [clinic.id, doctorId, doctorId, end],
  );
  const nextFreeAt = next?.starts_at ? new Date(next.starts_at).toISOString() : null;
  throw conflict("NO_WALK_IN_CAPACITY", { nextFreeAt });
}
