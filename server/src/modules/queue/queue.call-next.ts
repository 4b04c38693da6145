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
 * ALREADY_CALLED naming it. The partial unique index `queue_entry_one_called_per_doctor` decides
 * between two calls for one doctor at once (a double click, a second screen): the second's update
 * waits on the first's index entry and fails when the first commits, answered with the same 409.
 * A call that finds nothing free waits for the calls in flight and looks again, so the second of
 * two racing for the last patient also gets the 409, never `entry: null`.
 *
 * The common path is one transaction of two statements between begin and commit: the call (one
 * named statement: the rule, the pick, the update, the audit row, the entry's view) and the
 * domain events.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { clinicSettingsSchema, type CallNextRequest, type QueueEntryView } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { conflict, DomainError, notFound, unprocessable } from "../../platform/errors";
import { auditInsertSql, type AuditActor } from "../../platform/audit";
import { prepared, runPrepared } from "../../platform/prepared";
import { authorize, type UserPrincipal } from "../identity";
import { QueueChanges } from "./queue.commit";
import { doctorBusy, doctorsEntryIn, mapDoctorBusyError, type EntryRow } from "./queue.store";

/**
 * The slow path's wait ($1 doctor, $2 clinic): blocks on a candidate locked by a call in flight
 * until that call ends, re-reads it (no longer waiting once called), and locks the first candidate
 * free of locks, if any. A candidate called meanwhile by a twin call is then seen by the second
 * look; one the second look still cannot take is settled by the one-called index.
 */
const AWAIT_CALLS_IN_FLIGHT = prepared<{ id: string }>(
  "queue-call-await",
  `select q.id from queue_entry q join clinic c on c.id = q.clinic_id
    where q.clinic_id = $2 and q.service_day = (now() at time zone c.time_zone)::date and q.status = 'waiting'
      and (q.doctor_id = $1 or (q.doctor_id is null and q.kind <> 'appointment'))
    limit 1 for update of q`,
);

/** What the call statement found: the clinic, whether the doctor works there and has a called patient, and the called entry (its columns are null when none was called). */
type CallOutcome = { clinic_found: boolean; works_here: boolean; holder_id: string | null } & (EntryRow | { [K in keyof EntryRow]: null });

/** How many of the first candidates a call tries to lock (more than the calls one clinic has in flight at once). */
const CANDIDATES = 32;

/** SQL: the called entry `c` as `auditEntry()` shapes it, with the columns that differ before and after the call. */
const auditedEntrySql = (status: string, doctorId: string, room: string, version: string) =>
  `jsonb_build_object('id', c.id, 'clinicId', c.clinic_id, 'doctorId', ${doctorId}, 'patientId', c.patient_id, 'appointmentId', c.appointment_id,
     'slotId', c.slot_id, 'kind', c.kind, 'ticket', c.ticket, 'status', ${status}, 'reason', c.reason,
     'manualRank', c.manual_rank, 'room', ${room}, 'version', ${version})`;

/**
 * The whole call in one statement ($1 doctor, $2 clinic, $3 the room asked for or null, $4 the
 * default walk-in interleave, $5–$9 the actor as the audit records it): the clinic's day and rule,
 * whether the doctor works there and already has a called patient (any day), the interleave count,
 * the pick by the rule among the first `candidates` (`for update of q skip locked`), the update to
 * `called` in the room asked for or the doctor's last room of the day, the audit row, and the
 * called entry's view.
 */
const callNextSql = (candidates: number | "all") =>
  `with day as materialized (
     select c.id, (now() at time zone c.time_zone)::date as today,
            ((now() at time zone c.time_zone)::date::timestamp at time zone c.time_zone) as starts_at,
            coalesce((c.settings->>'walkInInterleave')::int, $4::int) as interleave
       from clinic c where c.id = $2 and c.active
   ),
   works as (select exists(select 1 from doctor_clinic dc where dc.doctor_id = $1 and dc.clinic_id = $2) as here),
   holder as (select q.id from queue_entry q where q.doctor_id = $1 and q.status = 'called' limit 1),
   rule as materialized (
     -- Walk-ins first once N appointment patients were called since the doctor's last walk-in of the day.
     select d.interleave > 0 and d.interleave <= (
              select count(*) from queue_entry q
               where q.doctor_id = $1 and q.clinic_id = d.id and q.service_day = d.today and q.kind = 'appointment' and q.called_at is not null
                 and q.called_at > coalesce((select max(w.called_at) from queue_entry w
                       where w.doctor_id = $1 and w.clinic_id = d.id and w.service_day = d.today and w.kind = 'walk_in' and w.called_at is not null), d.starts_at)
            ) as walk_in_first
       from day d
   ),
   ranked as (
     -- The first candidates by the rule, unlocked: a top-N sort rather than ordering the whole queue
     -- under the lock. More calls in flight than this leave the pick empty, and the caller looks again.
     select q.id, (q.kind = 'emergency') as emergency, q.manual_rank as rank,
            case when (q.kind = 'walk_in') = r.walk_in_first then 0 else 1 end as turn,
            coalesce(a.starts_at, q.arrived_at) as due, q.arrived_at
       from rule r, works w, queue_entry q left join appointment a on a.id = q.appointment_id
      where w.here and not exists (select 1 from holder)
        and q.clinic_id = $2 and q.service_day = (select today from day) and q.status = 'waiting'
        and (q.doctor_id = $1 or (q.doctor_id is null and q.kind <> 'appointment'))
      order by emergency desc, rank asc nulls last, turn, due, q.arrived_at, q.id
      limit ${candidates}
   ),
   picked as (
     select q.id, q.status, q.doctor_id, q.room, q.version
       from ranked k join queue_entry q on q.id = k.id
      where q.status = 'waiting'
      order by k.emergency desc, k.rank asc nulls last, k.turn, k.due, k.arrived_at, k.id
      limit 1 for update of q skip locked
   ),
   called as (
     update queue_entry q
        set status = 'called', called_at = now(), doctor_id = $1, version = q.version + 1, updated_at = now(),
            room = coalesce($3::text, (select l.room from queue_entry l, day d
                                         where l.doctor_id = $1 and l.clinic_id = d.id and l.service_day = d.today and l.called_at is not null and l.room is not null
                                         order by l.called_at desc limit 1))
       from picked p where q.id = p.id
     returning q.*, p.status as before_status, p.doctor_id as before_doctor_id, p.room as before_room, p.version as before_version
   ),
   audited as (
     -- The audit row recordAudit would write ($5… the actor), before and after as auditEntry() shapes them.
     ${auditInsertSql("called c", {
       actor: ["$5::uuid", "$6::text", "$7::text", "$8::text", "$9::text"],
       action: "'queue.call'",
       entityType: "'QueueEntry'",
       entityId: "c.id::text",
       clinicId: "c.clinic_id",
       before: auditedEntrySql("c.before_status", "c.before_doctor_id", "c.before_room", "c.before_version"),
       after: auditedEntrySql("c.status", "c.doctor_id", "c.room", "c.version"),
     })}
   )
   select exists(select 1 from day) as clinic_found, (select here from works) as works_here, (select id from holder) as holder_id, e.*
     from (select 1) one left join (
       select q.id, q.clinic_id, q.service_day::text as service_day, q.doctor_id, d.display_name as doctor_name, q.patient_id,
              p.full_name as patient_name, q.appointment_id, a.starts_at as appointment_start, q.slot_id, q.kind, q.ticket, q.status, q.reason,
              q.manual_rank, q.room, q.arrived_at, q.called_at, q.started_at, q.finished_at, q.left_at, q.expected_at, q.version
         from called q join patient p on p.id = q.patient_id left join doctor d on d.id = q.doctor_id left join appointment a on a.id = q.appointment_id
     ) e on true`;

export const CALL_NEXT = prepared<CallOutcome>("queue-call-next", callNextSql(CANDIDATES));
/** The second look, after waiting for the calls in flight: every candidate, however many calls hold some. */
const CALL_NEXT_AMONG_ALL = prepared<CallOutcome>("queue-call-next-all", callNextSql("all"));

/** Walk-ins go first after this many appointment calls when the clinic's settings do not say. */
const DEFAULT_INTERLEAVE = clinicSettingsSchema.parse({}).walkInInterleave;

export class CallNextService {
  constructor(private readonly ctx: ModuleContext) {}

  private em(): EntityManager {
    return this.ctx.orm.em.fork() as unknown as EntityManager;
  }

  /**
   * The clinic the doctor is calling at: the one named, else the only clinic where the doctor has
   * slots today, else the doctor's only clinic; otherwise the caller must name it.
   */
  private async clinicOf(doctorId: string, named: string | undefined): Promise<string> {
    if (named) return named;
    const clinics = await this.em().execute<{ clinic_id: string; today: boolean }[]>(
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
    return only.clinic_id;
  }

  /** POST /doctors/:doctorId/queue/call-next: the doctor, or staff of the clinic, for the doctor. */
  async callNext(principal: UserPrincipal, actor: AuditActor, doctorId: string, input: CallNextRequest): Promise<QueueEntryView | null> {
    const clinicId = await this.clinicOf(doctorId, input.clinicId);
    // The guard needs only the ids: a caller it refuses learns nothing about the clinic or the doctor.
    authorize(principal, "queue.doctor.act", { doctorId, clinicId });
    const changes = new QueueChanges();
    const sealed = await this.em()
      .transactional(async (tx) => {
        const values = [doctorId, clinicId, input.room ?? null, DEFAULT_INTERLEAVE, actor.userId, actor.role, actor.ip, actor.userAgent, actor.requestId];
        let [outcome] = await runPrepared(tx, CALL_NEXT, values);
        if (outcome!.works_here && outcome!.clinic_found && !outcome!.holder_id && outcome!.id === null) {
          // Nothing free may mean the one candidate is a twin call's (a double click): once the calls
          // in flight are over, a second look sees that call's patient (409), or what is free now.
          await runPrepared(tx, AWAIT_CALLS_IN_FLIGHT, [doctorId, clinicId]);
          [outcome] = await runPrepared(tx, CALL_NEXT_AMONG_ALL, values);
        }
        if (!outcome!.works_here) throw unprocessable("DOCTOR_NOT_AT_CLINIC", { field: "body.clinicId" });
        if (!outcome!.clinic_found) throw notFound("Clinic");
        if (outcome!.holder_id) {
          // Read in full for the 409 only (another action may have resolved it meanwhile).
          const holder = await doctorsEntryIn(tx, doctorId, "called");
          throw holder ? doctorBusy(holder) : conflict("CONCURRENT_CHANGE");
        }
        if (outcome!.id === null) return null;
        return changes.entry(outcome as CallOutcome & EntryRow, "called").record(tx);
      })
      .catch((error: unknown) => (error instanceof DomainError ? Promise.reject(error) : mapDoctorBusyError(this.em(), error, doctorId)));
    if (!sealed) return null;
    return sealed[0]!.entry;
  }
}
