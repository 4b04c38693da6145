/**
 * What the admin screens need beyond the existing API: dry runs of template apply, clone and import
 * (every check runs, nothing is written, no audit event), and the platform admin's list of doctors
 * awaiting approval.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { addDays } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, type TestPerson } from "../support/factories";
import { call } from "../support/api";
import { count } from "../support/db";
import { mondayIn } from "../support/dates";

describe("admin: dry runs and doctor approvals", () => {
  const app = useApp();
  let clinicId: string;
  let admin: TestPerson;

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
  });

  const slotCount = (doctorId: string) => count(app, `select count(*) n from slot where doctor_id = ?`, [doctorId]);
  const auditCount = (action: string) => count(app, `select count(*) n from audit_event where action = ?`, [action]);

  it("a template dry run reports what applying would create and writes nothing; the real apply matches it", async () => {
    const entries = [{ dayOffset: 0, startTime: "09:00", endTime: "11:00", slotMinutes: 30 }];
    const template = await call(app, admin, "POST", `/clinics/${clinicId}/templates`, { name: "Mornings", span: "week", entries });
    const doctor = await buildDoctor(app, [clinicId]);
    const body = { doctorId: doctor.doctorId, from: mondayIn(1), to: addDays(mondayIn(1), 13) };
    const dry = await call(app, admin, "POST", `/templates/${template.body.id}/apply`, { ...body, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.materialisation.created).toBe(8);
    expect(await slotCount(doctor.doctorId)).toBe(0);
    expect(await count(app, `select count(*) n from availability_rule where doctor_id = ?`, [doctor.doctorId])).toBe(0);
    expect(await auditCount("schedule.template.apply")).toBe(0);

    const real = await call(app, admin, "POST", `/templates/${template.body.id}/apply`, body);
    expect(real.status).toBe(201);
    expect(real.body.materialisation.created).toBe(dry.body.materialisation.created);
    expect(await slotCount(doctor.doctorId)).toBe(8);
    // A second dry run now reports the clash, as the real apply would.
    const clash = await call(app, admin, "POST", `/templates/${template.body.id}/apply`, { ...body, dryRun: true });
    expect([clash.status, clash.body.code]).toEqual([409, "SCHEDULE_CONFLICT"]);
  });

  it("a clone dry run lists the copies and skips without writing", async () => {
    const entries = [{ dayOffset: 0, startTime: "09:00", endTime: "10:00", slotMinutes: 30 }];
    const template = await call(app, admin, "POST", `/clinics/${clinicId}/templates`, { name: "Short", span: "day", entries });
    const doctor = await buildDoctor(app, [clinicId]);
    const monday = mondayIn(1);
    await call(app, admin, "POST", `/templates/${template.body.id}/apply`, { doctorId: doctor.doctorId, from: monday, to: monday });
    const body = { clinicId, sourceFrom: monday, sourceTo: monday, targetStarts: [addDays(monday, 1), monday] };
    const dry = await call(app, admin, "POST", `/doctors/${doctor.doctorId}/slots/clone`, { ...body, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.created).toHaveLength(2);
    expect(dry.body.skipped.map((s: { reason: string }) => s.reason)).toEqual(["clash", "clash"]);
    expect(await slotCount(doctor.doctorId)).toBe(2);
    const real = await call(app, admin, "POST", `/doctors/${doctor.doctorId}/slots/clone`, body);
    expect([real.status, real.body.created.length]).toEqual([201, 2]);
    expect(await slotCount(doctor.doctorId)).toBe(4);
  });

  it("an import dry run reports good and bad rows and imports nothing", async () => {
    const doctor = await buildDoctor(app, [clinicId]);
    const day = addDays(mondayIn(1), 2);
    const csv = `date,start,end\n${day},09:00,09:30\n${day},10:00,09:00\n`;
    const path = (query: string) => `/doctors/${doctor.doctorId}/slots/import?clinicId=${clinicId}&format=csv&${query}`;
    const response = await fetch(`${app.url}/api/v1${path("dryRun=true&skipBadRows=true")}`, {
      method: "POST",
      headers: { ...admin.headers, "content-type": "text/csv" },
      body: csv,
    });
    const dry = (await response.json()) as { imported: number; report: { row: number }[] };
    expect(response.status).toBe(200);
    expect(dry.imported).toBe(1);
    expect(dry.report.map((r) => r.row)).toEqual([3]);
    expect(await slotCount(doctor.doctorId)).toBe(0);
    expect(await auditCount("scheduling.slots.import")).toBe(0);
  });

  it("lists pending doctors for platform admins only", async () => {
    const pending = await buildPerson(app, "doctor", { clinicIds: [clinicId], approved: false });
    const platform = await buildPerson(app, "platform_admin");
    const list = await call(app, platform, "GET", `/doctor-approvals?status=pending`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((d: { id: string }) => d.id)).toContain(pending.doctorId);
    expect(list.body.items.every((d: { approval: { status: string } }) => d.approval.status === "pending")).toBe(true);
    expect((await call(app, admin, "GET", `/doctor-approvals`)).status).toBe(403);
    expect((await call(app, platform, "GET", `/doctor-approvals?status=maybe`)).status).toBe(400);
  });
});
