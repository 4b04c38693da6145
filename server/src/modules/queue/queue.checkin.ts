/**
 * Check-in: a scheduled appointment of today joins its clinic's queue (appointment `checked_in`,
 * entry `waiting` with an `A-nnn` ticket), in one transaction. By the clinic's staff at any time of
 * that day; by the patient themself with the day's clinic code (shown on the waiting-room screen)
 * from `checkInWindowMinutes` before the start until the end.
 */
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import { localDateOf, type QueueEntryView } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { conflict, DomainError, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { lockedAppointment, readAppointment, setAppointmentStatus, type LockedAppointment } from "../booking";
import { authorize, type UserPrincipal } from "../identity";
import { QueueChanges } from "./queue.commit";
import { checkInCodeMatches } from "./queue.display";
import { clinicFacts, entryView, insertEntry, mapQueueDatabaseError, type ClinicFacts } from "./queue.store";

const alreadyCheckedIn = () => conflict("ALREADY_CHECKED_IN");
const MINUTE = 60_000;

export class CheckInService {
  constructor(private readonly ctx: ModuleContext) {}

  private em(): EntityManager {
    return this.ctx.orm.em.fork() as unknown as EntityManager;
  }

  /** POST /clinics/:clinicId/queue/check-in: the clinic's staff check in a booked appointment of today. */
  async byStaff(principal: UserPrincipal, actor: AuditActor, clinicId: string, appointmentId: string): Promise<QueueEntryView> {
    authorize(principal, "clinic.queue.manage", { clinicId });
    const clinic = await clinicFacts(this.em(), clinicId);
    return this.checkIn(actor, clinic, appointmentId, principal.userId, "staff");
  }

  /**
   * POST /appointments/:appointmentId/check-in: the patient, with the code on the clinic's screen,
   * within the window. Someone else's appointment is 404 (its existence is not confirmed).
   */
  async bySelf(principal: UserPrincipal, actor: AuditActor, appointmentId: string, code: string, now = new Date()): Promise<QueueEntryView> {
    const em = this.em();
    const appointment = await readAppointment(em, appointmentId);
    if (principal.patientId === null || appointment.patient_id !== principal.patientId) {
      throw notFound("Appointment");
    }
    const clinic = await clinicFacts(em, appointment.clinic_id, now);
    if (!checkInCodeMatches(this.ctx.config.auth.jwtSecret, clinic.id, clinic.today, code)) {
      throw unprocessable("CHECK_IN_CODE_INVALID", { field: "body.code" });
    }
    const opensAt = new Date(new Date(appointment.starts_at).getTime() - clinic.settings.checkInWindowMinutes * MINUTE);
    const closesAt = new Date(appointment.ends_at);
    if (now < opensAt || now >= closesAt) {
      throw unprocessable("CHECK_IN_WINDOW", now < opensAt ? "Check-in has not opened yet for this appointment" : "The appointment is over; ask at reception", {
        reason: now < opensAt ? "too_early" : "too_late",
        opensAt: opensAt.toISOString(),
        closesAt: closesAt.toISOString(),
      });
    }
    return this.checkIn(actor, clinic, appointmentId, principal.userId, "self");
  }

  private async checkIn(actor: AuditActor, clinic: ClinicFacts, appointmentId: string, userId: string, via: "staff" | "self"): Promise<QueueEntryView> {
    const changes = new QueueChanges();
    const sealed = await this.em()
      .transactional(async (tx) => {
        const row = await lockedAppointment(tx, appointmentId);
        if (row.clinic_id !== clinic.id) throw notFound("Appointment at this clinic", { field: "body.appointmentId" });
        await this.assertCheckable(tx, row, clinic);
        await setAppointmentStatus(tx, row, "checked_in", userId, null);
        changes.booking.appointment(row.id, "checked_in");
        const entry = await insertEntry(tx, {
          clinicId: clinic.id,
          serviceDay: clinic.today,
          doctorId: row.doctor_id,
          patientId: row.patient_id,
          appointmentId: row.id,
          slotId: null,
          kind: "appointment",
          reason: null,
        });
        changes.entry(entry, "checked_in");
        recordAudit(tx, actor, {
          action: "queue.check_in",
          entityType: "QueueEntry",
          entityId: entry.id,
          clinicId: clinic.id,
          after: { ...auditEntry(entryView(entry)), via },
        });
        await tx.flush();
        return changes.record(tx);
      })
      .catch((error: unknown) => {
        if (error instanceof UniqueConstraintViolationException) throw alreadyCheckedIn();
        if (error instanceof DomainError) throw error;
        return mapQueueDatabaseError(error);
      });
    return sealed[0]!.entry;
  }

  private async assertCheckable(tx: EntityManager, row: LockedAppointment, clinic: ClinicFacts): Promise<void> {
    const existing = await tx.execute(`select 1 from queue_entry where appointment_id = ?`, [row.id]);
    if (existing.length > 0 || row.status === "checked_in") throw alreadyCheckedIn();
    if (localDateOf(new Date(row.starts_at), clinic.timeZone) !== clinic.today) {
      throw unprocessable("NOT_TODAY", { field: "body.appointmentId" });
    }
    if (row.status !== "scheduled") {
      throw conflict("ILLEGAL_TRANSITION", `A ${row.status} appointment cannot be checked in`, { from: row.status, to: "checked_in" });
    }
  }
}

/** What the audit trail keeps of an entry: no patient name (the id identifies the patient). */
export function auditEntry(view: QueueEntryView) {
  const { id, clinicId, doctorId, patientId, appointmentId, slotId, kind, ticket, status, reason, manualRank, room, version } = view;
  return { id, clinicId, doctorId, patientId, appointmentId, slotId, kind, ticket, status, reason, manualRank, room, version };
}
