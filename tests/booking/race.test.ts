/** The hot path under contention, and lapsed holds with the worker down. */
import { describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildSlots } from "../support/factories";
import { hold } from "../support/api";
import { count, inconsistencies, query } from "../support/db";

describe("booking races", () => {
  const app = useApp({ LOG_LEVEL: "error" });

  it("200 concurrent holds on one slot: exactly one 201, the rest 409, one appointment row", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patients = [];
    for (let i = 0; i < 200; i++) patients.push(await buildPatient(app, { tier: "standard" }));
    const replies = await Promise.all(patients.map((p) => hold(app, p, { slotId: slot!.id })));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    const lost = replies.filter((r) => r.status !== 201);
    expect(lost.every((r) => r.status === 409 && ["SLOT_BUSY", "SLOT_TAKEN"].includes(r.body.code))).toBe(true);
    expect(await count(app, `select count(*) n from appointment where slot_id = ?`, [slot!.id])).toBe(1);
    expect(await inconsistencies(app, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
  }, 60_000);

  it("a lapsed hold with no worker is bookable by someone else; the old one ends expired", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const first = await buildPatient(app, { tier: "standard" });
    const second = await buildPatient(app, { tier: "standard" });
    const a = await hold(app, first, { slotId: slot!.id });
    expect(a.status).toBe(201);
    expect((await hold(app, second, { slotId: slot!.id })).body.code).toBe("SLOT_TAKEN");
    await query(app, `update slot set hold_expires_at = now() - interval '1 second' where id = ?`, [slot!.id]);
    await query(app, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [a.body.id]);
    const b = await hold(app, second, { slotId: slot!.id });
    expect(b.status).toBe(201);
    expect((await query(app, `select status from appointment where id = ?`, [a.body.id]))[0]!.status).toBe("expired");
    expect(await inconsistencies(app, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
  });
});
