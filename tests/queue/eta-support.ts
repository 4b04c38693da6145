/**
 * Fixtures for the ETA and metrics tests: queue entries written straight to the database (the
 * queue's own routes are not needed), and a clinic whose local time is around midday so that a
 * test's "today" never crosses midnight.
 */
import { randomUUID } from "node:crypto";
import { localDateOf } from "@clinic/shared";
import type { TestApp } from "../support/harness";
import { createClinic } from "../support/identity";
import { query } from "../scheduling/support-rules";

/** An IANA zone (Etc/GMT±N) in which it is now between 10:00 and 14:00. */
export function middayZone(now = new Date()): string {
  let offset = 12 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
  return offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}

export async function middayClinic(app: TestApp) {
  const clinic = await createClinic(app.runtime);
  const timeZone = middayZone();
  await query(app, `update clinic set time_zone = ? where id = ?`, [timeZone, clinic.id]);
  return { clinicId: clinic.id, timeZone, serviceDay: localDateOf(new Date(), timeZone) };
}

let tickets = 0;

export interface EntrySpec {
  clinicId: string;
  serviceDay: string;
  doctorId: string | null;
  patientId: string;
  kind?: "appointment" | "walk_in" | "emergency";
  status?: "waiting" | "called" | "in_room" | "done" | "left";
  appointmentId?: string;
  /** Minutes before now (PostgreSQL's clock), or null. */
  arrivedAgo: number;
  calledAgo?: number;
  startedAgo?: number;
  finishedAgo?: number;
}

const ago = (minutes: number | undefined) => (minutes === undefined ? null : minutes);

export async function insertEntry(app: TestApp, spec: EntrySpec): Promise<{ id: string; ticket: string }> {
  const id = randomUUID();
  tickets += 1;
  const ticket = `${spec.kind === "appointment" ? "A" : spec.kind === "emergency" ? "E" : "W"}-${String(tickets).padStart(3, "0")}`;
  await query(
    app,
    `insert into queue_entry (id, clinic_id, doctor_id, patient_id, appointment_id, kind, service_day, ticket, status,
                              arrived_at, called_at, started_at, finished_at, version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?::date, ?, ?,
             now() - make_interval(mins => ?), now() - make_interval(mins => ?), now() - make_interval(mins => ?), now() - make_interval(mins => ?),
             1, now(), now())`,
    [
      id,
      spec.clinicId,
      spec.doctorId,
      spec.patientId,
      spec.appointmentId ?? null,
      spec.kind ?? "walk_in",
      spec.serviceDay,
      ticket,
      spec.status ?? "waiting",
      spec.arrivedAgo,
      ago(spec.calledAgo),
      ago(spec.startedAgo),
      ago(spec.finishedAgo),
    ],
  );
  return { id, ticket };
}
