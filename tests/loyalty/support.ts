/** Loyalty fixtures: points granted straight into the ledger, the ledger's own sum, clinic settings. */
import type { TestApp } from "../support/harness";
import { call, count, query } from "../booking/support";
import type { TestPerson } from "../support/identity";

/** An award entry without an appointment (what a completed visit's job writes, minus the visit). */
export async function grant(app: TestApp, patientId: string, clinicId: string, points: number): Promise<void> {
  await query(
    app,
    `insert into loyalty_points_entry (id, patient_id, clinic_id, appointment_id, kind, points, created_at) values (gen_random_uuid(), ?, ?, null, 'award', ?, now())`,
    [patientId, clinicId, points],
  );
}

export const ledgerSum = (app: TestApp, patientId: string) =>
  count(app, `select coalesce(sum(points), 0) as n from loyalty_points_entry where patient_id = ?`, [patientId]);

export const entries = (app: TestApp, patientId: string, kind: string) =>
  count(app, `select count(*) as n from loyalty_points_entry where patient_id = ? and kind = ?`, [patientId, kind]);

export async function setClinic(app: TestApp, clinicId: string, settings: Record<string, unknown>): Promise<void> {
  await query(app, `update clinic set settings = settings || ?::jsonb where id = ?`, [JSON.stringify(settings), clinicId]);
}

export async function balanceOf(app: TestApp, patient: TestPerson): Promise<number> {
  const reply = await call(app, patient, "GET", "/me/loyalty?limit=1");
  if (reply.status !== 200) throw new Error(`GET /me/loyalty → ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.balance as number;
}
