/**
 * The live flow's messages about a visit (docs/notifications.md "Visit messages"), written after the
 * change committed, from the appointment events whoever recorded them (the patient, the desk, a job):
 * - confirmed → the patient: "Booked", with the visit as a calendar file and where to manage it;
 * - a confirmed visit cancelled → the patient and the doctor, saying by whom and why — except a
 *   cancellation by leave or closure, whose own message (alerts) carries the alternatives;
 * - rescheduled (the new visit, once it stands) → the patient (with the new calendar file) and the doctor.
 * One message per visit and kind (its key), so a redelivered event writes none twice.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { formatWhen, type DomainEvent } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import { dispatchMessages, notify, type Notice } from "../notifications";
import { serializeIcs } from "../scheduling";
import { pgArray } from "./appointment.store";
import type { AppointmentChange } from "./appointment.views";
import { LEAVE_REASON_PREFIX } from "./leave-cancellation";

interface Facts {
  id: string;
  starts_at: Date;
  ends_at: Date;
  status_reason: string | null;
  changed_by: string | null;
  previous_starts_at: Date | null;
  patient_user_id: string;
  patient: string;
  doctor_user_id: string;
  doctor: string;
  clinic_id: string;
  clinic: string;
  address: string | null;
  time_zone: string;
}

type Kind = "confirmed" | "cancelled" | "moved";

/** Which message a change calls for, if any. */
function kindOf(change: AppointmentChange): Kind | null {
  if (change.cause === "confirmed" && change.status === "scheduled") return "confirmed";
  if (change.cause === "cancelled" && change.status === "cancelled" && change.previousStatus === "scheduled") return "cancelled";
  if (change.cause === "rescheduled" && change.status === "scheduled") return "moved";
  return null;
}

type AppPath = "/patient/appointments" | "/patient/doctors";

/** A screen of the web app as a message names it: its address, or its menu entry when no public URL is configured. */
export function appLink(publicUrl: string | undefined, path: AppPath): string {
  return publicUrl ? `${publicUrl.replace(/\/$/, "")}${path}` : `Clinic Live, ${path === "/patient/appointments" ? "Appointments" : "Find a doctor"}`;
}

export function visitMessages(ctx: ModuleContext): Subscriber {
  return {
    name: "visit-messages",
    wants: (name) => name === "appointment.confirmed" || name === "appointment.cancelled" || name === "appointment.rescheduled",
    async handle(events: DomainEvent[]) {
      const wanted = new Map<string, Kind>();
      for (const event of events) {
        const kind = kindOf(event.data as AppointmentChange);
        if (kind) wanted.set((event.data as AppointmentChange).appointmentId, kind);
      }
      if (wanted.size === 0) return;
      const outbox = await (ctx.orm.em.fork() as EntityManager).transactional((tx) => writeMessages(tx, wanted, ctx.config.http.publicUrl));
      await dispatchMessages(ctx, outbox);
    },
  };
}

async function writeMessages(tx: EntityManager, wanted: Map<string, Kind>, publicUrl: string | undefined): Promise<string[]> {
  const rows = await tx.execute<Facts[]>(
    `select a.id, a.starts_at, a.ends_at, a.status_reason, a.status_changed_by_id as changed_by,
            (select o.starts_at from appointment o where o.id = a.rescheduled_from) as previous_starts_at,
            p.user_id as patient_user_id, p.full_name as patient, d.user_id as doctor_user_id, d.display_name as doctor,
            c.id as clinic_id, c.name as clinic, c.address, c.time_zone
       from appointment a join patient p on p.id = a.patient_id join doctor d on d.id = a.doctor_id join clinic c on c.id = a.clinic_id
      where a.id = any(?::uuid[]) order by a.starts_at, a.id`,
    [pgArray([...wanted.keys()])],
  );
  const link = (path: AppPath) => appLink(publicUrl, path);
  const outbox: string[] = [];
  for (const row of rows) {
    const kind = wanted.get(row.id)!;
    const when = formatWhen(new Date(row.starts_at), row.time_zone);
    const common = { appointmentId: row.id, when, startsAt: new Date(row.starts_at).toISOString(), doctor: row.doctor, patient: row.patient, clinic: row.clinic };
    const notices: Notice[] = [];
    if (kind === "confirmed" || kind === "moved") {
      const visit = {
        ...common,
        where: row.address ? `${row.clinic}, ${row.address}` : row.clinic,
        manageUrl: link("/patient/appointments"),
        previousWhen: row.previous_starts_at ? formatWhen(new Date(row.previous_starts_at), row.time_zone) : "",
        ics: serializeIcs({
          name: `${row.doctor} at ${row.clinic}`,
          stamp: new Date(),
          events: [
            {
              uid: `${row.id}@clinic-live`,
              start: new Date(row.starts_at),
              end: new Date(row.ends_at),
              summary: `Appointment with ${row.doctor}`,
              status: "CONFIRMED",
              description: `${row.clinic}. Manage: ${link("/patient/appointments")}`,
              extra: { LOCATION: row.address ? `${row.clinic}, ${row.address}` : row.clinic },
            },
          ],
        }),
      };
      notices.push({ userId: row.patient_user_id, template: kind === "confirmed" ? "booking.confirmed" : "booking.moved", payload: visit, clinicId: row.clinic_id, key: `visit-${kind}-${row.id}` });
      if (kind === "moved") {
        notices.push({ userId: row.doctor_user_id, template: "booking.doctor-moved", payload: visit, clinicId: row.clinic_id, key: `doctor-moved-${row.id}` });
      }
    } else {
      // A cancellation by leave or closure has its own message, with the earliest alternatives (alerts).
      if (row.status_reason?.startsWith(LEAVE_REASON_PREFIX)) continue;
      const byPatient = row.changed_by === row.patient_user_id;
      const byDoctor = row.changed_by === row.doctor_user_id;
      const reason = row.status_reason?.trim();
      const cancelled = {
        ...common,
        bookUrl: link("/patient/doctors"),
        reasonText: reason ? `Reason: ${reason}. ` : "",
        reasonTextBn: reason ? `কারণ: ${reason}। ` : "",
      };
      notices.push({
        userId: row.patient_user_id,
        template: "booking.cancelled",
        payload: { ...cancelled, byWhom: byPatient ? "at your request" : "by the clinic", byWhomBn: byPatient ? "আপনার অনুরোধে" : "ক্লিনিকের পক্ষ থেকে" },
        clinicId: row.clinic_id,
        key: `visit-cancelled-${row.id}`,
      });
      notices.push({
        userId: row.doctor_user_id,
        template: "booking.doctor-cancelled",
        payload: {
          ...cancelled,
          byWhom: byPatient ? "by the patient" : byDoctor ? "by you" : "by the clinic",
          byWhomBn: byPatient ? "রোগীর পক্ষ থেকে" : byDoctor ? "আপনার পক্ষ থেকে" : "ক্লিনিকের পক্ষ থেকে",
        },
        clinicId: row.clinic_id,
        key: `doctor-cancelled-${row.id}`,
      });
    }
    for (const notice of notices) outbox.push(...(await notify(tx, notice)));
  }
  return outbox;
}
