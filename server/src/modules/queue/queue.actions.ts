/**
 * What doctors and reception do to one queue entry. Every action is one transaction: the entry is
 * locked and its version checked (a stale version is 409 VERSION_CONFLICT, so two receptionists
 * acting on one entry cannot both succeed), the linked appointment follows through the booking
 * state machine, the audit event is written; events and ETA recomputation follow the commit.
 *
 *   doctor (or staff): start called → in_room (appointment in_consultation), finish in_room → done
 *   (completed: the loyalty hook runs), send back called/in_room → waiting (in_consultation →
 *   checked_in), no-show called → no_show (no_show).
 *   reception: reorder (manual rank, with a reason), reassign to another doctor of the clinic (a
 *   handover in the audit trail; the appointment moves with the patient), mark left waiting/called
 *   → left (appointment cancelled "left before being seen", which frees its slot).
 * A doctor has at most one patient in the room: start while another is in is 409 ALREADY_IN_ROOM.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { AppointmentStatus, QueueCause, QueueEntryStatus, QueueEntryView, ReassignRequest, ReorderRequest } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { DomainError, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { lockedAppointment, releasePlace, setAppointmentStatus, type Changes as BookingChanges } from "../booking";
import { authorize, type Permission, type UserPrincipal } from "../identity";
import { freePlaceFor, handOverAppointment } from "../handover";
import { doctorWorksAt } from "../scheduling";
import { auditEntry } from "./queue.checkin";
import { QueueChanges } from "./queue.commit";
import { doctorBusy, doctorsEntryIn, entryView, lockEntry, mapDoctorBusyError, mapQueueDatabaseError, readEntry, updateEntry, type EntryRow } from "./queue.store";

interface Transition {
  permission: Permission;
  from: readonly QueueEntryStatus[];
  /** Trusted SQL assignments for the entry. */
  set: string;
  /** What the linked appointment becomes (from its current status, or null to leave it). */
  appointment: (current: AppointmentStatus) => AppointmentStatus | null;
  cause: QueueCause;
  label: string;
}

const TRANSITIONS = {
  start: {
    permission: "queue.doctor.act",
    from: ["called"],
    set: `status = 'in_room', started_at = now()`,
    appointment: () => "in_consultation",
    cause: "started",
    label: "started",
  },
  finish: {
    permission: "queue.doctor.act",
    from: ["in_room"],
    set: `status = 'done', finished_at = now()`,
    appointment: () => "completed",
    cause: "finished",
    label: "finished",
  },
  sendBack: {
    permission: "queue.doctor.act",
    from: ["called", "in_room"],
    set: `status = 'waiting', called_at = null, started_at = null`,
    appointment: (current) => (current === "in_consultation" ? "checked_in" : null),
    cause: "sent_back",
    label: "sent back",
  },
  noShow: {
    permission: "queue.doctor.act",
    from: ["called"],
    set: `status = 'no_show', left_at = now()`,
    appointment: () => "no_show",
    cause: "no_show",
    label: "marked no-show",
  },
  leave: {
    permission: "clinic.queue.manage",
    from: ["waiting", "called"],
    set: `status = 'left', left_at = now()`,
    appointment: () => "cancelled",
    cause: "left",
    label: "marked left",
  },
} satisfies Record<string, Transition>;

export type QueueAction = keyof typeof TRANSITIONS;

export class QueueActionService {
  constructor(private readonly ctx: ModuleContext) {}

  private em(): EntityManager {
    return this.ctx.orm.em.fork() as unknown as EntityManager;
  }

  /** Reads the entry and checks the caller may act on it (doctor actions: its doctor or the clinic's staff). */
  private async guard(principal: UserPrincipal, id: string, permission: Permission): Promise<EntryRow> {
    const row = await readEntry(this.em(), id);
    authorize(principal, permission, { clinicId: row.clinic_id, ...(row.doctor_id ? { doctorId: row.doctor_id } : {}) });
    return row;
  }

  /**
   * One transaction around a locked entry; `work` returns the changed row. `doctorId`: the doctor
   * whose one-called / one-in-room index a violation is answered for.
   */
  private async write(
    actor: AuditActor,
    id: string,
    version: number,
    from: readonly QueueEntryStatus[],
    label: string,
    doctorId: string | null,
    work: (tx: EntityManager, row: EntryRow, changes: QueueChanges) => Promise<{ row: EntryRow; action: string; audit?: Record<string, unknown> }>,
  ): Promise<QueueEntryView> {
    const changes = new QueueChanges();
    const sealed = await this.em()
      .transactional(async (tx) => {
        const before = await lockEntry(tx, id, version, from, label);
        const { row, action, audit } = await work(tx, before, changes);
        recordAudit(tx, actor, {
          action,
          entityType: "QueueEntry",
          entityId: row.id,
          clinicId: row.clinic_id,
          before: auditEntry(entryView(before)),
          after: { ...auditEntry(entryView(row)), ...audit },
        });
        await tx.flush();
        return changes.record(tx);
      })
      .catch((error: unknown) => {
        if (error instanceof DomainError) throw error;
        return doctorId ? mapDoctorBusyError(this.em(), error, doctorId) : mapQueueDatabaseError(error);
      });
    return sealed[sealed.length - 1]!.entry;
  }

  /** start, finish, send back, no-show, leave. */
  async transition(principal: UserPrincipal, actor: AuditActor, id: string, version: number, name: QueueAction): Promise<QueueEntryView> {
    const t: Transition = TRANSITIONS[name];
    const current = await this.guard(principal, id, t.permission);
    return this.write(actor, id, version, t.from, t.label, current.doctor_id, async (tx, before, changes) => {
      if (name === "start" && before.doctor_id) {
        const inRoom = await doctorsEntryIn(tx, before.doctor_id, "in_room");
        if (inRoom) throw doctorBusy(inRoom);
      }
      if (before.appointment_id) {
        const appointment = await lockedAppointment(tx, before.appointment_id);
        const to = t.appointment(appointment.status);
        if (to && to !== appointment.status) {
          await setAppointmentStatus(tx, appointment, to, actor.userId, name === "leave" ? "left before being seen" : null);
          changes.booking.appointment(appointment.id, "status_changed");
          if (to === "cancelled") await releasePlace(tx, appointment, changes.booking, "released");
        }
      } else if (name === "leave" && before.slot_id) {
        // A walk-in who leaves unseen gives back the capacity they took, if its time has not passed.
        const [freed] = await tx.execute<{ id: string }[]>(
          `update slot set status = 'available', version = version + 1, updated_at = now()
            where id = ? and status = 'booked' and ends_at > now() returning id`,
          [before.slot_id],
        );
        if (freed) changes.booking.slot(freed.id, "released");
      }
      const row = await updateEntry(tx, id, t.set);
      changes.entry(row, t.cause);
      return { row, action: `queue.${t.cause}` };
    });
  }

  /** Reorder: a manual rank (null clears it) with the reason, audited. Waiting entries only. */
  async reorder(principal: UserPrincipal, actor: AuditActor, id: string, input: ReorderRequest): Promise<QueueEntryView> {
    await this.guard(principal, id, "clinic.queue.manage");
    return this.write(actor, id, input.version, ["waiting"], "reordered", null, async (tx, _before, changes) => {
      const row = await updateEntry(tx, id, `manual_rank = ?`, [input.rank]);
      changes.entry(row, "reordered");
      return { row, action: "queue.reorder", audit: { reason: input.reason } };
    });
  }

  /**
   * Reassign a waiting entry to another doctor of the clinic, audited as a handover. The entry's
   * appointment moves with it, in the same transaction: a free slot of the receiving doctor overlapping the visit, else an
   * overbooked one (not held to the clinic's policy: the patient is already here; docs/queue.md).
   */
  async reassign(principal: UserPrincipal, actor: AuditActor, id: string, input: ReassignRequest): Promise<QueueEntryView> {
    const current = await this.guard(principal, id, "clinic.queue.manage");
    if (!(await doctorWorksAt(this.em(), input.doctorId, current.clinic_id))) {
      throw unprocessable("DOCTOR_NOT_AT_CLINIC", { field: "body.doctorId" });
    }
    return this.write(actor, id, input.version, ["waiting"], "reassigned", null, async (tx, before, changes) => {
      if (before.doctor_id === input.doctorId) {
        throw unprocessable("SAME_DOCTOR", { field: "body.doctorId" });
      }
      const reason = input.reason ?? null;
      const appointment = before.appointment_id ? await this.handOver(tx, before.appointment_id, input.doctorId, reason, actor, changes.booking) : null;
      const row = await updateEntry(tx, id, `doctor_id = ?, room = null`, [input.doctorId]);
      changes.entry(row, "reassigned", before.doctor_id ? [before.doctor_id] : []);
      return { row, action: "queue.handover", audit: { fromDoctorId: before.doctor_id, toDoctorId: input.doctorId, reason, appointment } };
    });
  }

  /** The entry's appointment to the receiving doctor: a free slot overlapping the visit, else an overbooked one. */
  private async handOver(tx: EntityManager, appointmentId: string, toDoctorId: string, reason: string | null, actor: AuditActor, changes: BookingChanges) {
    const appointment = await lockedAppointment(tx, appointmentId);
    const free = await freePlaceFor(tx, toDoctorId, appointment, { match: "nearest", lock: true });
    return handOverAppointment(tx, appointment, toDoctorId, free ? { free } : { overbookReason: reason ?? "Queue handover (no reason given)" }, actor, changes);
  }
}
