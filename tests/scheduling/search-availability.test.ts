/**
 * GET /slots over a generated schedule (30 doctors × 14 days × 16 slots, across London's spring DST
 * change): every filter returns exactly the free, public slots that match — checked against the
 * whole table read back from the database — and walking the cursor returns each exactly once, in
 * (start, id) order. Lapsed holds count as free; live holds, walk-ins, emergencies, blocked slots,
 * unlisted doctors and internal notes stay out of public view; staff see them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { localTimeOf, slotSearchPageSchema, type SlotSearchItem } from "@clinic/shared";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildClinicService, buildDoctors, buildPerson, buildSlotGrid, buildSpecialty, type TestPerson } from "../support/factories";
import { query } from "../support/db";

interface Truth {
  id: string;
  doctor_id: string;
  clinic_id: string;
  starts_at: Date;
  status: string;
  kind: string;
  hold_expires_at: Date | null;
  service_id: string | null;
  time_zone: string;
}

const FIRST_DAY = "2027-03-22"; // London springs forward on Sunday 2027-03-28
const DAYS = 14;
const from = "2027-03-22T00:00:00Z";
const to = "2027-04-06T00:00:00Z";

describe("availability search", () => {
  const app = useApp();
  let clinicX: string;
  let clinicY: string;
  let cardiology: string;
  let serviceX: string;
  let doctors: string[];
  const listed = new Set<string>();
  const cardiologists = new Set<string>();
  const hindi = new Set<string>();
  let truth: Truth[] = [];
  const special: Record<string, string> = {};
  let reception: TestPerson;
  let otherReception: TestPerson;
  let patient: TestPerson;

  beforeAll(async () => {
    clinicX = (await buildClinic(app)).id;
    clinicY = (await buildClinic(app)).id;
    await query(app, `update clinic set time_zone = 'Asia/Kolkata' where id = ?`, [clinicY]);
    cardiology = await buildSpecialty(app, `Cardiology ${clinicX.slice(0, 6)}`);
    serviceX = await buildClinicService(app, clinicX, 30);
    const specs = Array.from({ length: 30 }, (_, i) => ({
      clinicIds: [i % 3 === 0 ? clinicY : clinicX],
      specialtyIds: i % 2 === 1 ? [cardiology] : [],
      languages: i % 4 === 0 ? ["en", "HI"] : ["en"],
      approved: i % 7 !== 3,
    }));
    doctors = await buildDoctors(app, specs);
    specs.forEach((spec, i) => {
      if (spec.approved) listed.add(doctors[i]!);
      if (spec.specialtyIds.length) cardiologists.add(doctors[i]!);
      if (spec.languages.length > 1) hindi.add(doctors[i]!);
    });
    for (const clinicId of [clinicX, clinicY]) {
      const atClinic = doctors.filter((_, i) => specs[i]!.clinicIds[0] === clinicId);
      await buildSlotGrid(app, { doctorIds: atClinic, clinicId, firstDay: FIRST_DAY, days: DAYS, perDay: 16 });
    }
    // Doctor 1 (clinic X, listed): one slot of each interesting state on its first day.
    const first = await query<{ id: string }>(
      app,
      `select id from slot where doctor_id = ? order by starts_at limit 9`,
      [doctors[1]],
    );
    const ids = first.map((row) => row.id);
    Object.assign(special, {
      walkIn: ids[0],
      emergency: ids[1],
      blocked: ids[2],
      booked: ids[3],
      lapsedHold: ids[4],
      liveHold: ids[5],
      expired: ids[6],
      noted: ids[7],
      serviced: ids[8],
    });
    await query(app, `update slot set kind = 'walk_in' where id = ?`, [special.walkIn]);
    await query(app, `update slot set kind = 'emergency' where id = ?`, [special.emergency]);
    await query(app, `update slot set status = 'blocked' where id = ?`, [special.blocked]);
    await query(app, `update slot set status = 'booked' where id = ?`, [special.booked]);
    await query(app, `update slot set status = 'held', hold_expires_at = now() - interval '1 minute' where id = ?`, [special.lapsedHold]);
    await query(app, `update slot set status = 'held', hold_expires_at = now() + interval '1 hour' where id = ?`, [special.liveHold]);
    await query(app, `update slot set status = 'expired' where id = ?`, [special.expired]);
    await query(app, `update slot set note = 'private note', tags = '{vip}' where id = ?`, [special.noted]);
    // Doctor 2's slots on the first three days are for the service.
    await query(
      app,
      `update slot set service_id = ? where doctor_id = ? and starts_at < ?::timestamptz`,
      [serviceX, doctors[2], "2027-03-25T00:00:00Z"],
    );
    await query(app, `update slot set service_id = ? where id = ?`, [serviceX, special.serviced]);
    truth = await query<Truth>(
      app,
      `select s.id, s.doctor_id, s.clinic_id, s.starts_at, s.status, s.kind, s.hold_expires_at, s.service_id, c.time_zone
         from slot s join clinic c on c.id = s.clinic_id`,
    ).then((rows) => rows.map((row) => ({ ...row, starts_at: new Date(row.starts_at) })));
    expect(truth.length).toBe(30 * DAYS * 16);
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicX] });
    otherReception = await buildPerson(app, "receptionist", { clinicIds: [clinicY] });
    patient = await buildPerson(app, "patient");
  });

  const publicFree = (slot: Truth) =>
    listed.has(slot.doctor_id) &&
    slot.kind === "regular" &&
    (slot.status === "available" || (slot.status === "held" && slot.hold_expires_at !== null && new Date(slot.hold_expires_at) <= new Date()));

  /** Every page of a search, following nextCursor; checks page sizes and the (start, id) order. */
  async function allPages(query: Record<string, string>, options: { limit?: number; headers?: Record<string, string> } = {}) {
    const limit = options.limit ?? 97;
    const seen: SlotSearchItem[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 500; page++) {
      const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      const response = await fetch(`${app.url}/api/v1/slots?${params}`, { headers: options.headers ?? {} });
      expect(response.status, await response.clone().text()).toBe(200);
      const body = await readJson(response, slotSearchPageSchema);
      expect(body.items.length).toBeLessThanOrEqual(limit);
      seen.push(...body.items);
      cursor = body.nextCursor;
      if (!cursor) break;
      expect(body.items.length).toBe(limit);
    }
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      expect(a.start < b.start || (a.start === b.start && a.id < b.id), `order at ${i}`).toBe(true);
    }
    return seen;
  }

  async function expectExactly(query: Record<string, string>, match: (slot: Truth) => boolean, options: { limit?: number } = {}) {
    const items = await allPages({ from, to, ...query }, options);
    const expected = truth.filter((slot) => publicFree(slot) && match(slot)).map((slot) => slot.id);
    expect(expected.length).toBeGreaterThan(0);
    const got = items.map((item) => item.id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...expected].sort());
    return items;
  }

  it("pages through every free public slot of a clinic exactly once, in order", async () => {
    const items = await expectExactly({ clinicId: clinicX }, (slot) => slot.clinic_id === clinicX, { limit: 200 });
    for (const item of items) {
      expect(item.kind).toBe("regular");
      expect(item.status).toBe("available");
      expect(item.tags).toBeUndefined();
      expect(item.note).toBeUndefined();
    }
  });

  it("filters by doctor and date range", async () => {
    const weekFrom = "2027-03-24T00:00:00Z";
    const weekTo = "2027-03-31T00:00:00Z";
    await expectExactly(
      { doctorId: doctors[4]!, from: weekFrom, to: weekTo },
      (slot) => slot.doctor_id === doctors[4] && slot.starts_at >= new Date(weekFrom) && slot.starts_at < new Date(weekTo),
      { limit: 13 },
    );
  });

  it("filters by specialty (name or id), language and service", async () => {
    const name = (await query<{ name: string }>(app, `select name from specialty where id = ?`, [cardiology]))[0]!.name;
    const day = { from: "2027-03-30T00:00:00Z", to: "2027-03-31T00:00:00Z" };
    const inDay = (slot: Truth) => slot.starts_at >= new Date(day.from) && slot.starts_at < new Date(day.to);
    await expectExactly({ ...day, specialty: name.toUpperCase() }, (slot) => inDay(slot) && cardiologists.has(slot.doctor_id));
    await expectExactly({ ...day, specialty: cardiology }, (slot) => inDay(slot) && cardiologists.has(slot.doctor_id));
    await expectExactly({ ...day, language: "hi" }, (slot) => inDay(slot) && hindi.has(slot.doctor_id));
    await expectExactly({ serviceId: serviceX }, (slot) => slot.service_id === serviceX);
  });

  it("applies the time-of-day window in each clinic's zone, across the DST change", async () => {
    const items = await expectExactly({ timeFrom: "09:00", timeTo: "10:00" }, (slot) => {
      const local = localTimeOf(new Date(slot.starts_at), slot.time_zone);
      return local >= "09:00" && local < "10:00";
    }, { limit: 200 });
    // Two slots (09:00, 09:30) per listed doctor per day, before and after London's clocks change.
    const londonDoctor = doctors[4]!;
    const perDay = new Map<string, number>();
    for (const item of items.filter((i) => i.doctorId === londonDoctor)) {
      const dayKey = item.start.slice(0, 10);
      perDay.set(dayKey, (perDay.get(dayKey) ?? 0) + 1);
    }
    expect(perDay.size).toBe(DAYS);
    expect([...perDay.values()].every((count) => count === 2)).toBe(true);
    const before = items.find((i) => i.doctorId === londonDoctor && i.start.startsWith("2027-03-27"))!;
    const after = items.find((i) => i.doctorId === londonDoctor && i.start.startsWith("2027-03-29"))!;
    expect(before.start).toBe("2027-03-27T09:00:00.000Z"); // GMT
    expect(after.start).toBe("2027-03-29T08:00:00.000Z"); // BST
  });

  it("shows lapsed holds as available, hides live holds, walk-ins, emergencies, blocked and booked slots from the public", async () => {
    const items = await allPages({ doctorId: doctors[1]!, from, to: "2027-03-23T00:00:00Z" });
    const byId = new Map(items.map((item) => [item.id, item]));
    expect(byId.get(special.lapsedHold!)?.status).toBe("available");
    expect(byId.get(special.lapsedHold!)?.holdExpiresAt).toBeUndefined();
    for (const hidden of ["walkIn", "emergency", "blocked", "booked", "liveHold", "expired"]) {
      expect(byId.has(special[hidden]!), hidden).toBe(false);
    }
    expect(byId.get(special.noted!)?.note).toBeUndefined();
    // A signed-in patient sees the same as anyone.
    const asPatient = await allPages({ doctorId: doctors[1]!, from, to: "2027-03-23T00:00:00Z" }, { headers: patient.headers });
    expect(asPatient.map((i) => i.id)).toEqual(items.map((i) => i.id));
  });

  it("hides doctors that are not approved", async () => {
    const unlisted = doctors[3]!;
    expect(listed.has(unlisted)).toBe(false);
    const response = await fetch(`${app.url}/api/v1/slots?${new URLSearchParams({ doctorId: unlisted, from, to })}`);
    expect((await readJson(response, slotSearchPageSchema)).items).toEqual([]);
  });

  it("gives the clinic's staff every kind, notes and tags, and a status filter", async () => {
    const query = { clinicId: clinicX, doctorId: doctors[1]!, from, to: "2027-03-23T00:00:00Z" };
    const staff = await allPages(query, { headers: reception.headers });
    const ids = new Set(staff.map((i) => i.id));
    expect(ids.has(special.walkIn!) && ids.has(special.emergency!) && ids.has(special.lapsedHold!)).toBe(true);
    expect(staff.find((i) => i.id === special.noted)).toMatchObject({ note: "private note", tags: ["vip"] });
    const held = await allPages({ ...query, status: "held,blocked" }, { headers: reception.headers });
    expect(held.map((i) => i.id).sort()).toEqual([special.liveHold!, special.blocked!].sort());
    expect(held.find((i) => i.id === special.liveHold)?.holdExpiresAt).toBeDefined();

    const refused = async (headers: Record<string, string>, q: Record<string, string>) =>
      (await fetch(`${app.url}/api/v1/slots?${new URLSearchParams({ ...q, status: "booked" })}`, { headers })).status;
    expect(await refused({}, query)).toBe(401);
    expect(await refused(patient.headers, query)).toBe(403);
    expect(await refused(otherReception.headers, query)).toBe(403);
    expect(await refused(reception.headers, { doctorId: doctors[1]! })).toBe(403); // staff views name their clinic
    // Staff of another clinic get the public view (no walk-ins).
    const other = await allPages(query, { headers: otherReception.headers });
    expect(other.some((i) => i.id === special.walkIn)).toBe(false);
  });

  it("merges elastic offers for the requested service into the same order", async () => {
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicX] });
    const doctor = doctors[2]!;
    // A block on a day without slots (after the generated fortnight).
    const block = await fetch(`${app.url}/api/v1/doctors/${doctor}/elastic-blocks`, {
      method: "POST",
      headers: { ...admin.headers, "content-type": "application/json" },
      body: JSON.stringify({ clinicId: clinicX, startsAt: "2027-04-05T09:00:00Z", endsAt: "2027-04-05T10:00:00Z" }),
    });
    expect(block.status).toBe(201);
    const blockId = ((await block.json()) as { id: string }).id;
    const items = await allPages({ doctorId: doctor, serviceId: serviceX, from, to }, { limit: 5 });
    const elastic = items.filter((i) => i.type === "elastic");
    expect(elastic).toEqual([expect.objectContaining({ blockId, start: "2027-04-05T09:00:00.000Z", end: "2027-04-05T09:30:00.000Z", position: 0 })]);
    expect(items.at(-1)?.type).toBe("elastic");
    expect(items.filter((i) => i.type === "slot").length).toBe(truth.filter((s) => s.doctor_id === doctor && s.service_id === serviceX).length);
    // Without a service there is no length to offer.
    const plain = await allPages({ doctorId: doctor, from: "2027-04-05T00:00:00Z", to: "2027-04-06T00:00:00Z" });
    expect(plain.some((i) => i.type === "elastic")).toBe(false);
  });

  it("answers bad input with 400 naming the field", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ from: "yesterday" }, "query.from"],
      [{ from, to: "2027-03-21T00:00:00Z" }, "query.to"],
      [{ from, to: "2027-07-01T00:00:00Z" }, "query.to"],
      [{ timeFrom: "25:00" }, "query.timeFrom"],
      [{ timeFrom: "12:00", timeTo: "09:00" }, "query.timeTo"],
      [{ limit: "0" }, "query.limit"],
      [{ cursor: "nonsense" }, "query.cursor"],
      [{ doctorId: "42" }, "query.doctorId"],
      [{ status: "sleeping" }, "query.status"],
      [{ colour: "red" }, "query.colour"],
    ];
    for (const [query, field] of cases) {
      const response = await fetch(`${app.url}/api/v1/slots?${new URLSearchParams(query)}`);
      expect(response.status, JSON.stringify(query)).toBe(400);
      const body = (await response.json()) as { errors: { field: string }[] };
      expect(body.errors.some((e) => e.field === field || e.field.startsWith(`${field}.`)), JSON.stringify(body.errors)).toBe(true);
    }
  });
});
