import type { EntityManager } from "@mikro-orm/postgresql";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { auditPageSchema, problemSchema } from "@clinic/shared";
import { recordAudit, type AuditActor } from "../../server/src/platform/audit";
import { readJson, useTestApp } from "../support/harness";
import { buildClinic, buildPerson, type TestPerson } from "../support/factories";

describe("audit trail", () => {
  const app = useTestApp();
  let clinicA: string;
  let clinicB: string;
  let platformAdmin: TestPerson;
  let adminOfA: TestPerson;
  let receptionistOfA: TestPerson;

  const actor: AuditActor = { userId: null, role: "system", ip: "127.0.0.1", userAgent: "test", requestId: "r-1" };

  beforeAll(async () => {
    clinicA = (await buildClinic(app)).id;
    clinicB = (await buildClinic(app)).id;
    platformAdmin = await buildPerson(app, "platform_admin");
    adminOfA = await buildPerson(app, "clinic_admin", { clinicIds: [clinicA] });
    receptionistOfA = await buildPerson(app, "receptionist", { clinicIds: [clinicA] });
    const em = app.runtime.orm.em.fork() as EntityManager;
    await em.transactional(async (tx) => {
      for (let i = 0; i < 5; i++) {
        recordAudit(tx, actor, { action: "clinic.update", entityType: "clinic", entityId: clinicA, clinicId: clinicA, before: { i }, after: { i: i + 1 } });
      }
      recordAudit(tx, actor, { action: "patient.read", entityType: "patient", entityId: "p-1", clinicId: clinicB });
    });
  });

  const get = (path: string, person?: TestPerson) => fetch(`${app.url}/api/v1${path}`, { headers: person?.headers ?? {} });

  it("refuses UPDATE, DELETE and TRUNCATE at the database", async () => {
    const client = new pg.Client({ connectionString: app.runtime.config.database.url });
    await client.connect();
    try {
      const before = await client.query("select count(*)::int as n from audit_event");
      await expect(client.query("update audit_event set action = 'x'")).rejects.toThrow(/append-only/);
      await expect(client.query("delete from audit_event")).rejects.toThrow(/append-only/);
      await expect(client.query("truncate audit_event")).rejects.toThrow(/append-only/);
      const after = await client.query("select count(*)::int as n from audit_event");
      expect(after.rows[0].n).toBe(before.rows[0].n);
    } finally {
      await client.end();
    }
  });

  it("lets platform admins query everything, filtered and paginated newest first", async () => {
    const first = await readJson(await get(`/audit?action=clinic.update&limit=3`, platformAdmin), auditPageSchema);
    expect(first.items).toHaveLength(3);
    expect(first.items.map((e) => e.after)).toEqual([{ i: 5 }, { i: 4 }, { i: 3 }]);
    expect(first.nextBefore).toBe(first.items[2]!.id);
    const second = await readJson(await get(`/audit?action=clinic.update&limit=3&before=${first.nextBefore}`, platformAdmin), auditPageSchema);
    expect(second.items.map((e) => e.after)).toEqual([{ i: 2 }, { i: 1 }]);
    expect(second.nextBefore).toBeNull();
    const reads = await readJson(await get(`/audit?entityType=patient`, platformAdmin), auditPageSchema);
    expect(reads.items.map((e) => e.clinicId)).toEqual([clinicB]);
  });

  it("names each actor (the system has none)", async () => {
    const em = app.runtime.orm.em.fork() as EntityManager;
    const named: AuditActor = { userId: adminOfA.user.id, role: "clinic_admin", ip: null, userAgent: null, requestId: null };
    await em.transactional(async (tx) => recordAudit(tx, named, { action: "clinic.named-actor", entityType: "clinic", entityId: clinicA, clinicId: clinicA }));
    const page = await readJson(await get(`/audit?action=clinic.named-actor`, platformAdmin), auditPageSchema);
    expect(page.items.map((e) => [e.actorId, e.actorName])).toEqual([[adminOfA.user.id, adminOfA.user.displayName]]);
    const system = await readJson(await get(`/audit?action=clinic.update&limit=1`, platformAdmin), auditPageSchema);
    expect(system.items[0]!.actorName).toBeNull();
  });

  it("lets a clinic admin read only their own clinic's events", async () => {
    const own = await readJson(await get(`/audit?clinicId=${clinicA}`, adminOfA), auditPageSchema);
    expect(own.items.length).toBeGreaterThanOrEqual(5);
    expect(own.items.every((e) => e.clinicId === clinicA)).toBe(true);

    const other = await get(`/audit?clinicId=${clinicB}`, adminOfA);
    expect(other.status).toBe(403);
    expect((await readJson(other, problemSchema)).code).toBe("FORBIDDEN");
    expect((await get(`/audit`, adminOfA)).status).toBe(403);
  });

  it("is closed to receptionists and anonymous callers, and has no write routes", async () => {
    expect((await get(`/audit?clinicId=${clinicA}`, receptionistOfA)).status).toBe(403);
    expect((await get(`/audit`)).status).toBe(401);
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const response = await fetch(`${app.url}/api/v1/audit`, { method, headers: platformAdmin.headers });
      expect(response.status).toBe(404);
    }
  });

  it("rejects bad filters naming the field", async () => {
    const response = await get(`/audit?clinicId=not-a-uuid&limit=1000`, platformAdmin);
    expect(response.status).toBe(400);
    const body = await readJson(response, problemSchema);
    expect(body.errors?.map((e) => e.field).sort()).toEqual(["query.clinicId", "query.limit"]);
  });
});
