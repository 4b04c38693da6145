/**
 * Handing a date range of one doctor's appointments to a colleague at the same clinic
 * (docs/handover.md): a preview that writes nothing, and an apply that moves, in one transaction,
 * each confirmed visit to a free slot of the receiving doctor starting at the same time, or to an
 * overbooked one where the clinic's overbooking policy allows it; the rest stay, and say why.
 * Each move is audited with both doctors and the reason; patients are told their new doctor, and
 * the receiving doctor what they were given. Both doctors' screens hear `appointment.handed_over`.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  addDays,
  formatWhen,
  zonedToInstant,
  type AppointmentStatus,
  type HandoverItem,
  type HandoverOutcome,
  type HandoverPreview,
  type HandoverPreviewRequest,
  type HandoverReply,
  type HandoverRequest,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { appLink, Changes, lockedAppointment, pgArray } from "../booking";
import { Clinic } from "../directory";
import { dispatchMessages, notify } from "../notifications";
import { coveringUnavailability, doctorWorksAt, overbookingAllowance } from "../scheduling";
import { freePlaceFor, handOverAppointment, type FreePlace } from "./appointment-handover";

interface Visit {
  id: string;
  clinic_id: string;
  service_id: string | null;
  starts_at: Date;
  ends_at: Date;
  status: AppointmentStatus;
  patient_name: string;
  patient_user_id: string;
  service_name: string | null;
}

interface Doctors {
  from: { id: string; name: string; userId: string };
  to: { id: string; name: string; userId: string };
}

/** The statuses a range lists: confirmed visits move; holds and patients already in the queue stay. */
const LISTED: AppointmentStatus[] = ["pending", "scheduled", "checked_in"];

interface Plan {
  outcome: HandoverOutcome;
  note: string | null;
  free: FreePlace | null;
}

export class DelegationService {
  constructor(private readonly ctx: ModuleContext) {}

  private em() {
    return this.ctx.orm.em.fork() as EntityManager;
  }

  async preview(clinicId: string, input: HandoverPreviewRequest): Promise<HandoverPreview> {
    return this.em().transactional(async (tx) => {
      const { clinic, doctors } = await this.facts(tx, clinicId, input);
      const visits = await this.visits(tx, clinic, input);
      // Overbooked slots this preview would make, by local day: the cap counts them as if written.
      const planned = new Map<string, number>();
      const items: HandoverItem[] = [];
      for (const visit of visits) {
        items.push(itemOf(visit, await this.plan(tx, visit, clinic, doctors, { lock: false, planned })));
      }
      return { fromDoctorId: input.fromDoctorId, toDoctorId: input.toDoctorId, items };
    });
  }

  async apply(actor: AuditActor, clinicId: string, input: HandoverRequest): Promise<HandoverReply> {
    const handoverId = randomUUID();
    const { reply, outbox } = await this.em().transactional(async (tx) => {
      const { clinic, doctors } = await this.facts(tx, clinicId, input);
      // One handover at a time per clinic: two crossing ones (A to B, B to A) would lock each other's rows.
      await tx.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`handover:${clinicId}`]);
      const visits = await this.visits(tx, clinic, input);
      const changes = new Changes();
      const items: HandoverItem[] = [];
      const outbox: string[] = [];
      for (const listed of visits) {
        // Locked in start order; what changed since it was listed (cancelled, moved by someone else) is skipped.
        const row = await lockedAppointment(tx, listed.id);
        if (row.doctor_id !== doctors.from.id || !LISTED.includes(row.status)) continue;
        const visit = { ...listed, status: row.status, starts_at: row.starts_at, ends_at: row.ends_at };
        const plan = await this.plan(tx, visit, clinic, doctors, { lock: true });
        items.push(itemOf(visit, plan));
        if (plan.outcome === "stays") continue;
        const moved = await handOverAppointment(tx, row, doctors.to.id, plan.free ? { free: plan.free } : { overbookReason: `Handover: ${input.reason}` }, actor, changes);
        recordAudit(tx, actor, {
          action: "booking.appointment.handover",
          entityType: "Appointment",
          entityId: row.id,
          clinicId,
          before: { doctorId: doctors.from.id, doctorName: doctors.from.name, slotId: row.slot_id },
          after: { doctorId: doctors.to.id, doctorName: doctors.to.name, slotId: moved.toSlotId, overbooked: moved.overbooked, reason: input.reason, handoverId },
        });
        outbox.push(
          ...(await notify(tx, {
            userId: visit.patient_user_id,
            template: "booking.handed-over",
            clinicId,
            key: `handover-${handoverId}-${row.id}`,
            payload: {
              appointmentId: row.id,
              when: formatWhen(new Date(plan.free?.starts_at ?? visit.starts_at), clinic.timeZone),
              doctor: doctors.to.name,
              previousDoctor: doctors.from.name,
              clinic: clinic.name,
              reason: input.reason,
              manageUrl: appLink(this.ctx.config.http.publicUrl, "/patient/appointments"),
            },
          })),
        );
      }
      const moved = items.filter((item) => item.outcome !== "stays").length;
      if (moved > 0) {
        outbox.push(
          ...(await notify(tx, {
            userId: doctors.to.userId,
            template: "booking.doctor-handed-over",
            clinicId,
            key: `handover-${handoverId}`,
            payload: { count: String(moved), previousDoctor: doctors.from.name, clinic: clinic.name, range: rangeText(input), reason: input.reason },
          })),
        );
      }
      await tx.flush();
      await changes.record(tx);
      const reply: HandoverReply = { fromDoctorId: doctors.from.id, toDoctorId: doctors.to.id, items, moved, stayed: items.length - moved };
      return { reply, outbox };
    });
    await dispatchMessages(this.ctx, outbox);
    return reply;
  }

  /** The clinic and both doctors, each checked to work there (a 422 naming the field otherwise). */
  private async facts(tx: EntityManager, clinicId: string, input: HandoverPreviewRequest): Promise<{ clinic: Clinic; doctors: Doctors }> {
    const clinic = await tx.findOne(Clinic, clinicId);
    if (!clinic) throw notFound("Clinic");
    for (const field of ["fromDoctorId", "toDoctorId"] as const) {
      if (!(await doctorWorksAt(tx, input[field], clinicId))) throw unprocessable("DOCTOR_NOT_AT_CLINIC", { field: `body.${field}` });
    }
    const rows = await tx.execute<{ id: string; display_name: string; user_id: string }[]>(`select id, display_name, user_id from doctor where id in (?, ?)`, [
      input.fromDoctorId,
      input.toDoctorId,
    ]);
    const doctor = (id: string) => {
      const row = rows.find((r) => r.id === id)!;
      return { id, name: row.display_name, userId: row.user_id };
    };
    return { clinic, doctors: { from: doctor(input.fromDoctorId), to: doctor(input.toDoctorId) } };
  }

  /** The giving doctor's listed visits at the clinic in the range not yet over, in start order. */
  private async visits(tx: EntityManager, clinic: Clinic, input: HandoverPreviewRequest): Promise<Visit[]> {
    return tx.execute<Visit[]>(
      `select a.id, a.clinic_id, a.service_id, a.starts_at, a.ends_at, a.status, p.full_name as patient_name, p.user_id as patient_user_id, s.name as service_name
         from appointment a join patient p on p.id = a.patient_id left join clinic_service s on s.id = a.service_id
        where a.doctor_id = ? and a.clinic_id = ? and a.starts_at >= ? and a.starts_at < ? and a.ends_at > now() and a.status = any(?::text[])
        order by a.starts_at, a.id`,
      [
        input.fromDoctorId,
        clinic.id,
        zonedToInstant(input.fromDate, "00:00", clinic.timeZone),
        zonedToInstant(addDays(input.toDate, 1), "00:00", clinic.timeZone),
        pgArray(LISTED),
      ],
    );
  }

  /**
   * Where one visit would go. The preview counts the overbooked slots it plans (`planned`); the
   * apply has written them, so the allowance's count already holds them.
   */
  private async plan(
    tx: EntityManager,
    visit: Visit,
    clinic: Clinic,
    doctors: Doctors,
    options: { lock: boolean; planned?: Map<string, number> },
  ): Promise<Plan> {
    if (visit.status === "pending") return stays("Being booked right now (an unpaid hold): it stays until it is confirmed or lapses");
    if (visit.status === "checked_in") return stays("The patient is already in the queue: reassign them on the reception board");
    const away = await coveringUnavailability(tx, doctors.to.id, clinic.id, new Date(visit.starts_at), new Date(visit.ends_at));
    if (away.length > 0) return stays(`${doctors.to.name} is away then`);
    const free = await freePlaceFor(tx, doctors.to.id, visit, { match: "same-start", lock: options.lock });
    if (free) return { outcome: "free", note: null, free };
    const allowance = await overbookingAllowance(tx, {
      clinicId: clinic.id,
      doctorId: doctors.to.id,
      serviceId: visit.service_id,
      startsAt: new Date(visit.starts_at),
      timeZone: clinic.timeZone,
    });
    if (!allowance) return stays(`${doctors.to.name} has no free slot then and the clinic allows no overbooking for them`);
    const used = allowance.used + (options.planned?.get(allowance.day) ?? 0);
    if (used >= allowance.cap) return stays(`${doctors.to.name} has no free slot then and their overbooking cap for the day (${allowance.cap}) is reached`);
    options.planned?.set(allowance.day, (options.planned.get(allowance.day) ?? 0) + 1);
    return { outcome: "overbook", note: `No free slot of ${doctors.to.name} starts then: overbooked, as the clinic's policy allows`, free: null };
  }
}

const stays = (note: string): Plan => ({ outcome: "stays", note, free: null });

function itemOf(visit: Visit, plan: Plan): HandoverItem {
  return {
    appointmentId: visit.id,
    start: new Date(plan.free?.starts_at ?? visit.starts_at).toISOString(),
    end: new Date(plan.free?.ends_at ?? visit.ends_at).toISOString(),
    status: visit.status,
    patientName: visit.patient_name,
    serviceName: visit.service_name,
    outcome: plan.outcome,
    note: plan.note,
  };
}

const rangeText = (input: HandoverPreviewRequest) => (input.fromDate === input.toDate ? input.fromDate : `${input.fromDate} to ${input.toDate}`);
