/**
 * Elastic blocks over HTTP: creation (no overlap with live slots or blocks, access), allocations
 * packed in and re-timed on move/resize/free, offers into freed places, capacity under concurrency.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { allocationReplySchema, elasticBlockSchema, elasticOfferListSchema, type AllocationReply } from "@clinic/shared";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildClinicService, buildPerson, buildSlotGrid, type TestPerson } from "../support/factories";
import { query } from "../support/db";

describe("elastic blocks", () => {
  const app = useApp();
  let clinicId: string;
  let otherClinicId: string;
  let doctor: TestPerson;
  let reception: TestPerson;
  let otherReception: TestPerson;
  let patient: TestPerson;
  let service20: string;

  const post = (path: string, person: TestPerson | null, body?: unknown) =>
    fetch(`${app.url}/api/v1${path}`, {
      method: "POST",
      headers: { ...(person?.headers ?? {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  async function block(startsAt: string, endsAt: string, extra: Record<string, unknown> = {}) {
    const response = await post(`/doctors/${doctor.doctorId}/elastic-blocks`, reception, { clinicId, startsAt, endsAt, ...extra });
    expect(response.status, await response.clone().text()).toBe(201);
    return readJson(response, elasticBlockSchema);
  }
  async function allocate(blockId: string, body: Record<string, unknown>): Promise<AllocationReply> {
    const response = await post(`/elastic-blocks/${blockId}/allocations`, reception, body);
    expect(response.status, await response.clone().text()).toBe(201);
    return readJson(response, allocationReplySchema);
  }
  async function change(allocationId: string, verb: string, body?: unknown): Promise<AllocationReply> {
    const response = await post(`/elastic-allocations/${allocationId}/${verb}`, reception, body);
    expect(response.status, await response.clone().text()).toBe(200);
    return readJson(response, allocationReplySchema);
  }
  /** Live allocations' minutes after the block start, in sequence order. */
  const timeline = (reply: AllocationReply) =>
    reply.block.allocations
      .filter((a) => a.status !== "freed")
      .map((a) => [a.id, (Date.parse(a.expectedStartAt) - Date.parse(reply.block.startsAt)) / 60_000, a.durationMinutes]);

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    otherClinicId = (await buildClinic(app)).id;
    doctor = await buildPerson(app, "doctor", { clinicIds: [clinicId] });
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    otherReception = await buildPerson(app, "receptionist", { clinicIds: [otherClinicId] });
    patient = await buildPerson(app, "patient");
    service20 = await buildClinicService(app, clinicId, 20);
    // Slots 09:00–11:00 London time on 2027-01-11.
    await buildSlotGrid(app, { doctorIds: [doctor.doctorId!], clinicId, firstDay: "2027-01-11", days: 1, perDay: 4 });
  });

  it("refuses blocks that overlap live slots or another block, and people without schedule.manage", async () => {
    const overlapSlots = await post(`/doctors/${doctor.doctorId}/elastic-blocks`, reception, {
      clinicId,
      startsAt: "2027-01-11T10:30:00Z",
      endsAt: "2027-01-11T12:00:00Z",
    });
    expect(overlapSlots.status).toBe(409);
    expect(((await overlapSlots.json()) as { code: string }).code).toBe("SCHEDULE_OVERLAP");
    // Expired slots are history: once expired, the time is free for a block.
    await query(app, `update slot set status = 'expired' where doctor_id = ? and starts_at >= '2027-01-11T10:30:00Z'`, [doctor.doctorId]);
    const first = await block("2027-01-11T10:30:00Z", "2027-01-11T12:00:00Z");
    expect(first.capacityMinutes).toBe(90);
    const overlapBlock = await post(`/doctors/${doctor.doctorId}/elastic-blocks`, reception, {
      clinicId,
      startsAt: "2027-01-11T11:59:00Z",
      endsAt: "2027-01-11T13:00:00Z",
    });
    expect(overlapBlock.status).toBe(409);

    const body = { clinicId, startsAt: "2027-01-12T09:00:00Z", endsAt: "2027-01-12T10:00:00Z" };
    expect((await post(`/doctors/${doctor.doctorId}/elastic-blocks`, null, body)).status).toBe(401);
    expect((await post(`/doctors/${doctor.doctorId}/elastic-blocks`, patient, body)).status).toBe(403);
    expect((await post(`/doctors/${doctor.doctorId}/elastic-blocks`, otherReception, body)).status).toBe(403);
    const tooBig = await post(`/doctors/${doctor.doctorId}/elastic-blocks`, doctor, { ...body, capacityMinutes: 61 });
    expect(tooBig.status).toBe(422);
    const elsewhere = await post(`/doctors/${doctor.doctorId}/elastic-blocks`, otherReception, { ...body, clinicId: otherClinicId });
    expect(elsewhere.status).toBe(422); // the doctor does not work there
    const bad = await post(`/doctors/${doctor.doctorId}/elastic-blocks`, doctor, { ...body, endsAt: "2027-01-12T08:00:00Z" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe("body.endsAt");
    // The doctor may open one in their own day.
    expect((await post(`/doctors/${doctor.doctorId}/elastic-blocks`, doctor, body)).status).toBe(201);
  });

  it("packs allocations and re-times the later ones after move, resize and free", async () => {
    const { id } = await block("2027-01-13T09:00:00Z", "2027-01-13T10:00:00Z");
    const a = await allocate(id, { minutes: 10, patientId: patient.patientId });
    const b = await allocate(id, { serviceId: service20 });
    const c = await allocate(id, { minutes: 15 });
    const [ida, idb, idc] = [a.allocation.id, b.allocation.id, c.allocation.id];
    expect(b.allocation.durationMinutes).toBe(20);
    expect(timeline(c)).toEqual([[ida, 0, 10], [idb, 10, 20], [idc, 30, 15]]);
    expect(c.block.usedMinutes).toBe(45);

    const confirmed = await change(ida, "confirm");
    expect(confirmed.allocation.status).toBe("confirmed");
    const moved = await change(idc, "move", { position: 0 });
    expect(timeline(moved)).toEqual([[idc, 0, 15], [ida, 15, 10], [idb, 25, 20]]);
    const resized = await change(ida, "resize", { minutes: 20 });
    expect(timeline(resized)).toEqual([[idc, 0, 15], [ida, 15, 20], [idb, 35, 20]]);
    const overflow = await post(`/elastic-allocations/${ida}/resize`, reception, { minutes: 26 });
    expect(overflow.status).toBe(409);
    expect(((await overflow.json()) as { code: string }).code).toBe("BLOCK_FULL");
    const freed = await change(ida, "free");
    expect(timeline(freed)).toEqual([[idc, 0, 15], [idb, 15, 20]]);
    expect(freed.block.version).toBeGreaterThan(resized.block.version);

    // The freed place is offered (20 minutes at 09:15), as well as the end (09:35).
    const offers = await readJson(await fetch(`${app.url}/api/v1/elastic-blocks/${id}/offers?minutes=15`), elasticOfferListSchema);
    expect(offers.items.map((o) => [o.start, o.kind, o.position])).toEqual([
      ["2027-01-13T09:15:00.000Z", "gap", 1],
      ["2027-01-13T09:35:00.000Z", "end", 3],
    ]);
    const filled = await allocate(id, { minutes: 15, position: 1 });
    expect(timeline(filled)).toEqual([[idc, 0, 15], [filled.allocation.id, 15, 15], [idb, 30, 20]]);
    expect(filled.block.allocations.find((x) => x.id === ida)?.position).toBe(-1);
    // 50 of 60 used: 15 more does not fit; no offers either.
    const full = await post(`/elastic-blocks/${id}/allocations`, reception, { minutes: 15 });
    expect(full.status).toBe(409);
    expect(((await full.json()) as { code: string }).code).toBe("BLOCK_FULL");
    const none = await readJson(await fetch(`${app.url}/api/v1/elastic-blocks/${id}/offers?serviceId=${service20}`), elasticOfferListSchema);
    expect(none).toEqual({ minutes: 20, items: [] });
    // Every change was audited.
    const audited = await query<{ n: number }>(
      app,
      `select count(*)::int as n from audit_event where action like 'scheduling.elastic_allocation.%'`,
    );
    expect(audited[0]!.n).toBeGreaterThanOrEqual(8);
  });

  it("never overflows a block under concurrent allocations", async () => {
    const { id } = await block("2027-01-14T09:00:00Z", "2027-01-14T10:00:00Z");
    const responses = await Promise.all(Array.from({ length: 12 }, () => post(`/elastic-blocks/${id}/allocations`, reception, { minutes: 15 })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBe(4);
    expect(statuses.filter((s) => s === 409).length).toBe(8);
    const view = await readJson(await fetch(`${app.url}/api/v1/elastic-blocks/${id}`, { headers: reception.headers }), elasticBlockSchema);
    expect(view.usedMinutes).toBe(60);
    expect(view.allocations.map((a) => a.position)).toEqual([0, 1, 2, 3]);
    expect(view.allocations.map((a) => a.expectedStartAt)).toEqual(
      ["09:00", "09:15", "09:30", "09:45"].map((t) => `2027-01-14T${t}:00.000Z`),
    );
  });

  it("answers bad input with 400 naming the field and keeps other clinics out", async () => {
    const { id } = await block("2027-01-15T09:00:00Z", "2027-01-15T10:00:00Z");
    const both = await post(`/elastic-blocks/${id}/allocations`, reception, { minutes: 15, serviceId: service20 });
    expect(both.status).toBe(400);
    expect(((await both.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe("body.minutes");
    const offers = await fetch(`${app.url}/api/v1/elastic-blocks/${id}/offers`);
    expect(offers.status).toBe(400);
    expect((await post(`/elastic-blocks/${id}/allocations`, otherReception, { minutes: 15 })).status).toBe(403);
    expect((await fetch(`${app.url}/api/v1/elastic-blocks/${id}`, { headers: patient.headers })).status).toBe(403);
    const { allocation } = await allocate(id, { minutes: 15 });
    expect((await post(`/elastic-allocations/${allocation.id}/move`, reception, { position: "first" })).status).toBe(400);
    expect((await post(`/elastic-allocations/${allocation.id}/move`, reception, { position: 3 })).status).toBe(422);
    expect((await post(`/elastic-allocations/${allocation.id}/free`, otherReception)).status).toBe(403);
  });
});
