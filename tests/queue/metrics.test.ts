/** GET /clinics/:clinicId/queue/metrics: exact figures for a seeded day, access, bad input. */
import { describe, expect, it } from "vitest";
import { localDateOf, queueMetricsReplySchema } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildMiddayClinic, buildPerson, buildQueueEntry } from "../support/factories";
import { call } from "../support/api";

describe("queue metrics", () => {
  const app = useApp();

  async function seededDay() {
    const { id: clinicId, timeZone } = await buildMiddayClinic(app);
    const serviceDay = localDateOf(new Date(), timeZone);
    const d1 = await buildDoctor(app, [clinicId]);
    const d2 = await buildDoctor(app, [clinicId]);
    const patient = await buildPerson(app, "patient");
    const base = { clinicId, serviceDay, patientId: patient.patientId! };
    // Doctor 1: two seen (waits 10 and 20), one in the room (waited 30), two waiting (45 and 20 minutes).
    await buildQueueEntry(app, { ...base, doctorId: d1.doctorId, status: "done", arrivedAgo: 120, calledAgo: 110, startedAgo: 110, finishedAgo: 100 });
    await buildQueueEntry(app, { ...base, doctorId: d1.doctorId, status: "done", arrivedAgo: 100, calledAgo: 80, startedAgo: 80, finishedAgo: 65 });
    await buildQueueEntry(app, { ...base, doctorId: d1.doctorId, status: "in_room", arrivedAgo: 60, calledAgo: 30, startedAgo: 30 });
    await buildQueueEntry(app, { ...base, doctorId: d1.doctorId, arrivedAgo: 45 });
    await buildQueueEntry(app, { ...base, doctorId: d1.doctorId, kind: "emergency", arrivedAgo: 20 });
    // Doctor 2: one waiting (10), one who left without being called.
    await buildQueueEntry(app, { ...base, doctorId: d2.doctorId, arrivedAgo: 10 });
    await buildQueueEntry(app, { ...base, doctorId: d2.doctorId, status: "left", arrivedAgo: 200 });
    // A walk-in nobody is assigned to yet; and yesterday's patient, who does not count.
    await buildQueueEntry(app, { ...base, doctorId: null, arrivedAgo: 5 });
    const yesterday = new Date(Date.parse(`${serviceDay}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    await buildQueueEntry(app, { ...base, serviceDay: yesterday, doctorId: d1.doctorId, arrivedAgo: 1500 });
    return { clinicId, serviceDay, d1, d2 };
  }

  it("gives exact figures for the clinic and each doctor", async () => {
    const { clinicId, serviceDay, d1, d2 } = await seededDay();
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    const reply = await call(app, reception, "GET", `/clinics/${clinicId}/queue/metrics`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const body = queueMetricsReplySchema.parse(reply.body);
    expect(body.date).toBe(serviceDay);
    expect(body.clinic).toEqual({ waiting: 4, served: 2, currentWaitMinutes: 45, averageWaitMinutes: 20 });
    const rows = new Map(body.doctors.map((row) => [row.doctorId, row]));
    expect(rows.size).toBe(3);
    expect(rows.get(d1.doctorId)).toMatchObject({ waiting: 2, served: 2, currentWaitMinutes: 45, averageWaitMinutes: 20 });
    expect(rows.get(d2.doctorId)).toMatchObject({ waiting: 1, served: 0, currentWaitMinutes: 10, averageWaitMinutes: null });
    expect(rows.get(null)).toMatchObject({ doctorName: null, waiting: 1, served: 0, currentWaitMinutes: 5, averageWaitMinutes: null });

    const filtered = await call(app, reception, "GET", `/clinics/${clinicId}/queue/metrics?doctorId=${d2.doctorId}`);
    expect(queueMetricsReplySchema.parse(filtered.body).doctors.map((row) => row.doctorId)).toEqual([d2.doctorId]);
  });

  it("lets clinic staff and the platform in; a doctor sees only their own row; other clinics and patients get 403", async () => {
    const { clinicId, d1 } = await seededDay();
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    const platform = await buildPerson(app, "platform_admin");
    for (const person of [admin, platform]) {
      const reply = await call(app, person, "GET", `/clinics/${clinicId}/queue/metrics`);
      expect(reply.status).toBe(200);
      expect(queueMetricsReplySchema.parse(reply.body).doctors).toHaveLength(3);
    }
    // Even asking for everyone (or someone else), a doctor gets their own row.
    for (const path of [`/clinics/${clinicId}/queue/metrics`, `/clinics/${clinicId}/queue/metrics?doctorId=${d1.doctorId}`]) {
      const own = await call(app, d1, "GET", path);
      expect(own.status).toBe(200);
      expect(queueMetricsReplySchema.parse(own.body).doctors.map((row) => row.doctorId)).toEqual([d1.doctorId]);
    }

    const other = await buildClinic(app);
    const otherReception = await buildPerson(app, "receptionist", { clinicIds: [other.id] });
    const otherDoctor = await buildDoctor(app, [other.id]);
    const patient = await buildPerson(app, "patient");
    for (const person of [otherReception, otherDoctor, patient]) {
      const reply = await call(app, person, "GET", `/clinics/${clinicId}/queue/metrics`);
      expect([reply.status, (reply.body as { code: string }).code]).toEqual([403, "FORBIDDEN"]);
    }
    expect((await call(app, null, "GET", `/clinics/${clinicId}/queue/metrics`)).status).toBe(401);
  });

  it("rejects bad input with 400 naming the field", async () => {
    const { clinicId } = await seededDay();
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    const cases: [string, string][] = [
      [`/clinics/not-a-uuid/queue/metrics`, "params.clinicId"],
      [`/clinics/${clinicId}/queue/metrics?doctorId=nope`, "query.doctorId"],
      [`/clinics/${clinicId}/queue/metrics?bogus=1`, "query.bogus"],
    ];
    for (const [path, field] of cases) {
      const reply = await call(app, reception, "GET", path);
      const problem = reply.body as { code: string; errors?: { field: string }[] };
      expect([path, reply.status, problem.code, problem.errors?.map((error) => error.field)]).toEqual([path, 400, "VALIDATION_FAILED", [field]]);
    }
  });
});
