/** GET /doctors?sort=rating: best rated first, ties by rating count, then name; keyset pages; minRating still applies. */
import { describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildClinicWithDoctor, buildDoctor, buildPastAppointment } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";

describe("doctor search by rating", () => {
  const app = useApp({ LOG_LEVEL: "error" });

  it("orders by average, then count, then name, across pages, and a name cursor cannot continue it", async () => {
    const { clinicId, doctor: first } = await buildClinicWithDoctor(app);
    const spec: [string, number, number][] = [
      ["Dr Zed", 4.5, 20],
      ["Dr Amy", 4.5, 20],
      ["Dr Bob", 4.5, 3],
      ["Dr Cat", 5, 1],
      ["Dr Dan", 0, 0],
      ["Dr Eve", 3.25, 8],
    ];
    const ids = new Map<string, string>();
    for (const [index, [name, average, count]] of spec.entries()) {
      const doctorId = index === 0 ? first.doctorId : (await buildDoctor(app, [clinicId])).doctorId;
      await query(app, `update doctor set display_name = ?, rating_average = ?, rating_count = ? where id = ?`, [name, average, count, doctorId]);
      ids.set(name, doctorId);
    }
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(app, null, "GET", `/doctors?clinicId=${clinicId}&sort=rating&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      names.push(...page.body.items.map((item: { displayName: string }) => item.displayName));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(names).toEqual(["Dr Cat", "Dr Amy", "Dr Zed", "Dr Bob", "Dr Eve", "Dr Dan"]);

    const filtered = await call(app, null, "GET", `/doctors?clinicId=${clinicId}&sort=rating&minRating=4.5`);
    expect(filtered.body.items.map((item: { displayName: string }) => item.displayName)).toEqual(["Dr Cat", "Dr Amy", "Dr Zed", "Dr Bob"]);
    const byName = await call(app, null, "GET", `/doctors?clinicId=${clinicId}&limit=2`);
    expect(byName.body.items.map((item: { displayName: string }) => item.displayName)).toEqual(["Dr Amy", "Dr Bob"]);
    const mixed = await call(app, null, "GET", `/doctors?clinicId=${clinicId}&sort=rating&cursor=${byName.body.nextCursor}`);
    expect([mixed.status, mixed.body.errors?.[0]?.field]).toEqual([400, "query.cursor"]);
    expect((await call(app, null, "GET", `/doctors?sort=stars`)).body.errors[0].field).toBe("query.sort");
  });

  it("follows real reviews: a new review moves the doctor up the rating order", async () => {
    const { clinicId, doctor: low } = await buildClinicWithDoctor(app);
    const high = await buildDoctor(app, [clinicId]);
    for (const [doctorId, stars] of [[low.doctorId, 2], [high.doctorId, 4]] as const) {
      const visit = await buildPastAppointment(app, { doctorId, clinicId });
      expect((await call(app, visit.patient, "POST", `/appointments/${visit.appointmentId}/review`, { stars })).status).toBe(201);
    }
    const order = async () =>
      (await call(app, null, "GET", `/doctors?clinicId=${clinicId}&sort=rating`)).body.items.map((item: { id: string }) => item.id);
    expect(await order()).toEqual([high.doctorId, low.doctorId]);
    for (let i = 0; i < 2; i++) {
      const visit = await buildPastAppointment(app, { doctorId: low.doctorId, clinicId });
      await call(app, visit.patient, "POST", `/appointments/${visit.appointmentId}/review`, { stars: 5 });
    }
    // (2 + 5 + 5) / 3 = 4: level with the other doctor on average, ahead on count.
    expect(await order()).toEqual([low.doctorId, high.doctorId]);
  });
});
