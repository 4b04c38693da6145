/** A rule change never deletes a slot that appointment history points at: it expires it instead. */
import { describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, weekdayRule } from "../support/factories";
import { call, hold } from "../support/api";
import { query } from "../support/db";

describe("rule changes over booked history", () => {
  const app = useApp({ LOG_LEVEL: "error" });

  it("expires a freed slot with a cancelled appointment instead of deleting it", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(app);
    const created = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicId));
    expect(created.status).toBe(201);
    const ruleId = (created.body as { rule: { id: string } }).rule.id;
    const [slot] = await query<{ id: string }>(app, `select id from slot where rule_id = ? order by starts_at limit 1`, [ruleId]);

    const patient = await buildPatient(app, { tier: "standard" });
    const held = await hold(app, patient, { slotId: slot!.id });
    expect(held.status).toBe(201);
    expect((await call(app, patient, "POST", `/appointments/${held.body.id}/cancel`, { reason: "changed plans" })).status).toBe(200);

    // New hours no longer produce that slot: it goes, but its history stays.
    const changed = await call(app, reception, "PATCH", `/availability-rules/${ruleId}`, { startTime: "14:00", endTime: "16:00" });
    expect(changed.status).toBe(200);
    const [after] = await query<{ status: string }>(app, `select status from slot where id = ?`, [slot!.id]);
    expect(after?.status).toBe("expired");
    const [appointment] = await query<{ status: string; slot_id: string }>(app, `select status, slot_id from appointment where id = ?`, [held.body.id]);
    expect(appointment).toEqual({ status: "cancelled", slot_id: slot!.id });
    // The new hours are materialised.
    const [{ n }] = (await query<{ n: number }>(app, `select count(*)::int n from slot where rule_id = ? and status = 'available'`, [ruleId])) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
  });
});
