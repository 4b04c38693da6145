/**
 * "Call next" (docs/queue.md, "Who is called next"): the server picks, by rule, among the waiting
 * entries of the doctor and the clinic's unassigned walk-ins:
 *   1. emergencies, by arrival;
 *   2. entries a receptionist ranked (manual rank, lowest first; then arrival);
 *   3. appointment patients who have arrived, in appointment-time order, and walk-ins by arrival,
 *      with the clinic's `walkInInterleave` N: once N appointment patients have been called since
 *      the doctor's last walk-in (or since the day began), a waiting walk-in goes first; N = 0:
 *      walk-ins only when no appointment patient waits.
 * The pick is one `order by … limit 1 for update of q skip locked`: two doctors calling at once lock
 * different rows, so nobody is called twice.
 *
 * A doctor has at most one called patient (any day): while one is called, call-next is 409
 * ALREADY_CALLED naming it. Calls for one doctor run one at a time (a transaction-level advisory
 * lock), so a double click or a second screen sees the first call and gets that 409 rather than
 * `entry: null` for finding its twin's candidate locked; the partial unique index
 * `queue_entry_one_called_per_doctor` is the last guard against any other writer, and its
 * violation is answered with the same 409.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { CallNextRequest, QueueEntryView } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { DomainError, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { authorize, type UserPrincipal } from "../identity";
import { auditEntry } from "./queue.checkin";
import { QueueChanges } from "./queue.commit";
import { clinicFacts, doctorBusy, doctorWorksAt, doctorsEntryIn, entryView, mapDoctorBusyError, readEntry, updateEntry, type ClinicFacts } from "./queue.store";
import { dayBounds } from "./queue.walkin";

export class CallNextService {
  constructor(private readonly ctx: ModuleContext) {}

  private em(): EntityManager {
    return this.ctx.orm.em.fork() as unknown as EntityManager;
  }

  /**
   * The clinic the doctor is calling at: the one named, else the only clinic where the doctor has
   * slots today, else the doctor's only clinic; otherwise the caller must name it.
   */
  private async clinicOf(em: EntityManager, doctorId: string, named: string | undefined): Promise<ClinicFacts> {
    if (named) {
      if (!(await doctorWorksAt(em, doctorId, named))) {
        throw unprocessable("DOCTOR_NOT_AT_CLINIC", { field: "body.clinicId" });
      }
      return clinicFacts(em, named);
    }
    const clinics = await em.execute<{ clinic_id: string; today: boolean }[]>(
      `select dc.clinic_id,
              exists(select 1 from slot s where s.doctor_id = dc.doctor_id and s.clinic_id = dc.clinic_id
                 and (s.starts_at at time zone c.time_zone)::date = (now() at time zone c.time_zone)::date) as today
         from doctor_clinic dc join clinic c on c.id = dc.clinic_id and c.active where dc.doctor_id = ?`,
      [doctorId],
    );
    if (clinics.length === 0) throw notFound("Doctor");
    const working = clinics.filter((row) => row.today);
    const only = working.length === 1 ? working[0] : clinics.length === 1 ? clinics[0] : undefined;
    if (!only) throw unprocessable("CLINIC_REQUIRED", { field: "body.clinicId" });
    return clinicFacts(em, only.clinic_id);
  }

  /** POST /doctors/:doctorId/queue/call-next: the doctor, or staff of the clinic, for the doctor. */
  async callNext(principal: UserPrincipal, actor: AuditActor, doctorId: string, input: CallNextRequest): Promise<QueueEntryView | null> {
    const em = this.em();
    const clinic = await this.clinicOf(em, doctorId, input.clinicId);
    authorize(principal, "queue.doctor.act", { doctorId, clinicId: clinic.id });
    const interleave = clinic.settings.walkInInterleave;
    const changes = new QueueChanges();
    const sealed = await em
      .transactional(async (tx) => {
        await tx.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`queue-call:${doctorId}`]);
        const called = await doctorsEntryIn(tx, doctorId, "called");
        if (called) throw doctorBusy(called);
        const walkInFirst = interleave > 0 && (await appointmentsSinceLastWalkIn(tx, clinic, doctorId)) >= interleave;
        // The room: as asked, else where this doctor called from last today.
        const [last] = input.room
          ? [{ room: input.room }]
          : await tx.execute<{ room: string | null }[]>(
              `select room from queue_entry where doctor_id = ? and clinic_id = ? and service_day = ? and called_at is not null and room is not null
                order by called_at desc limit 1`,
              [doctorId, clinic.id, clinic.today],
            );
        const [picked] = await tx.execute<{ id: string }[]>(
          `select q.id from queue_entry q left join appointment a on a.id = q.appointment_id
            where q.clinic_id = ? and q.service_day = ? and q.status = 'waiting'
              and (q.doctor_id = ? or (q.doctor_id is null and q.kind <> 'appointment'))
            order by (q.kind = 'emergency') desc,
                     q.manual_rank asc nulls last,
                     case when q.kind = 'walk_in' then ${walkInFirst ? 0 : 1} else ${walkInFirst ? 1 : 0} end,
                     coalesce(a.starts_at, q.arrived_at), q.arrived_at, q.id
            limit 1 for update of q skip locked`,
          [clinic.id, clinic.today, doctorId],
        );
        if (!picked) return null;
        const before = auditEntry(entryView(await readEntry(tx, picked.id)));
        const row = await updateEntry(tx, picked.id, `status = 'called', called_at = now(), doctor_id = ?, room = ?`, [doctorId, last?.room ?? null]);
        changes.entry(row, "called");
        recordAudit(tx, actor, { action: "queue.call", entityType: "QueueEntry", entityId: row.id, clinicId: clinic.id, before, after: auditEntry(entryView(row)) });
        await tx.flush();
        return changes.record(tx);
      })
      .catch((error: unknown) => (error instanceof DomainError ? Promise.reject(error) : mapDoctorBusyError(this.em(), error, doctorId)));
    if (!sealed) return null;
    return sealed[0]!.entry;
  }
}

/**
 * How many appointment patients this doctor has called today since their last walk-in call
 * (emergencies do not count either way; a patient sent back no longer counts as called).
 */
async function appointmentsSinceLastWalkIn(tx: EntityManager, clinic: ClinicFacts, doctorId: string): Promise<number> {
  const { start } = dayBounds(clinic);
  const [row] = await tx.execute<{ n: number }[]>(
    `select count(*)::int as n from queue_entry q
      where q.doctor_id = ? and q.clinic_id = ? and q.service_day = ? and q.kind = 'appointment' and q.called_at is not null
        and q.called_at > coalesce((select max(w.called_at) from queue_entry w
              where w.doctor_id = q.doctor_id and w.clinic_id = q.clinic_id and w.service_day = q.service_day and w.kind = 'walk_in' and w.called_at is not null), ?)`,
    [doctorId, clinic.id, clinic.today, start],
  );
  return row?.n ?? 0;
}
