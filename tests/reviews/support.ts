/** Review fixtures: a doctor at a clinic, and past appointments of patients in a given status. */
import type { TestApp } from "../support/harness";
import { insertAppointment, insertSlot } from "../booking/realtime-support";
import { patientOn, query } from "../booking/support";

let offset = 0;

/** A past appointment of a new (or given) patient with the doctor, moved to `status`; each in its own past slot. */
export async function pastAppointment(
  app: TestApp,
  spec: { doctorId: string; clinicId: string; status?: string; patient?: Awaited<ReturnType<typeof patientOn>>; fullName?: string },
) {
  const patient = spec.patient ?? (await patientOn(app));
  if (spec.fullName) await query(app, `update patient set full_name = ? where id = ?`, [spec.fullName, patient.patientId]);
  offset += 1;
  const slot = await insertSlot(app.runtime, {
    doctorId: spec.doctorId,
    clinicId: spec.clinicId,
    start: new Date(Date.now() - (offset + 1) * 30 * 60_000),
    status: "booked",
  });
  const appointment = await insertAppointment(app.runtime, { slot, patientId: patient.patientId });
  await query(app, `update appointment set status = ? where id = ?`, [spec.status ?? "completed", appointment.id]);
  return { patient, appointmentId: appointment.id };
}

export async function ratingOf(app: TestApp, doctorId: string) {
  const [row] = await query<{ rating_average: number; rating_count: number }>(app, `select rating_average, rating_count from doctor where id = ?`, [doctorId]);
  return { average: Number(row!.rating_average), count: Number(row!.rating_count) };
}
