/**
 * Slot import (CSV, iCalendar) with its row-by-row report, all-or-nothing vs skipBadRows, overlaps
 * with existing slots and between rows; and the export feeds, round-tripped into another doctor.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { EntityManager } from "@mikro-orm/postgresql";
import { importResultSchema, problemSchema, type ImportIssue } from "@clinic/shared";
import { ClinicService } from "../../server/src/modules/directory/service.entity";
import { parseIcs } from "../../server/src/modules/scheduling/ical";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildPerson, buildSlots, type TestPerson } from "../support/factories";
import { caller } from "../support/api";
import { query, slotsOf } from "../support/db";
import { at, dayFromNow } from "../support/dates";

describe("slot import and export", () => {
  const app = useApp();
  const call = caller(app);
  let clinicA: string;
  let clinicB: string;
  let serviceId: string;
  let reception: TestPerson;
  let receptionB: TestPerson;
  let receptionOther: TestPerson;
  let patient: TestPerson;

  beforeAll(async () => {
    clinicA = (await buildClinic(app)).id;
    clinicB = (await buildClinic(app)).id;
    const other = (await buildClinic(app)).id;
    const em = app.runtime.orm.em.fork() as EntityManager;
    serviceId = em.create(ClinicService, { clinic: clinicA, name: "Consultation", durationMinutes: 15, colour: "#336699" }).id;
    await em.flush();
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicA] });
    receptionB = await buildPerson(app, "receptionist", { clinicIds: [clinicB] });
    receptionOther = await buildPerson(app, "receptionist", { clinicIds: [other] });
    patient = await buildPerson(app, "patient");
  });

  const importPath = (doctorId: string, clinicId: string, format: string, skip = false) =>
    `/doctors/${doctorId}/slots/import?clinicId=${clinicId}&format=${format}&skipBadRows=${skip}`;
  const rowsOf = (report: ImportIssue[]) => report.map((i) => `${i.row}:${i.field}`);

  it("reports every bad CSV row; imports nothing unless skipBadRows, then only the good rows", async () => {
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinicA] });
    const day = dayFromNow(5);
    await buildSlots(app, { doctorId: doctor.doctorId!, clinicId: clinicA, date: day, from: "09:00", count: 1, minutes: 30 });
    const csv = [
      "date,start,end,kind,service,tags,note",
      `${day},10:00,10:15,regular,Consultation,new;follow-up,"Room 2, upstairs"`,
      `2026-02-30,10:15,10:30,,,,`,
      `${day},11:00,10:45,,,,`,
      `${day},12:00,12:15,,Massage,,`,
      `${day},09:15,09:45,,,,`,
      `${day},11:00,11:30,walk_in,,,`,
      `${day},11:15,11:45,,,,`,
      `${day},13:00,13:15,triage,,,`,
    ].join("\r\n");
    const path = importPath(doctor.doctorId!, clinicA, "csv");

    const refused = await call(reception, "POST", path, csv, "text/csv");
    expect(refused.status).toBe(422);
    const problem = (await refused.json()) as { code: string; report: ImportIssue[] };
    expect(problem.code).toBe("IMPORT_HAS_ERRORS");
    expect(rowsOf(problem.report)).toEqual(["3:date", "4:end", "5:service", "6:start", "8:start", "9:kind"]);
    expect(problem.report.find((i) => i.row === 8)!.message).toBe("overlaps row 7");
    // In the clinic's local time and with the clinic's name, as the admin wrote the file: no ids, no UTC.
    const clinicName = (await query<{ name: string }>(app, `select name from clinic where id = ?`, [clinicA]))[0]!.name;
    expect(problem.report.find((i) => i.row === 6)!.message).toBe(`overlaps the doctor's available slot ${day} 09:00–09:30 at ${clinicName}`);
    expect(await slotsOf(app, doctor.doctorId!)).toHaveLength(1);

    const result = await readJson(await call(reception, "POST", importPath(doctor.doctorId!, clinicA, "csv", true), csv, "text/csv"), importResultSchema);
    expect(result.imported).toBe(2);
    expect(rowsOf(result.report)).toEqual(rowsOf(problem.report));
    expect(result.slots.map((s) => [s.start, s.end, s.kind, s.serviceId])).toEqual([
      [at(day, "10:00").toISOString(), at(day, "10:15").toISOString(), "regular", serviceId],
      [at(day, "11:00").toISOString(), at(day, "11:30").toISOString(), "walk_in", null],
    ]);
    const stored = await slotsOf(app, doctor.doctorId!);
    expect(stored).toHaveLength(3);
    expect(stored.find((s) => s.id === result.slots[0]!.id)).toMatchObject({ tags: ["new", "follow-up"], note: "Room 2, upstairs", status: "available" });

    // A header problem makes the whole file unusable, even with skipBadRows.
    const badHeader = await call(reception, "POST", importPath(doctor.doctorId!, clinicA, "csv", true), "date,begin,end\n2026-01-01,09:00,10:00\n", "text/csv");
    expect(badHeader.status).toBe(422);
    expect(rowsOf(((await badHeader.json()) as { report: ImportIssue[] }).report)).toEqual(["1:begin", "1:start"]);
  });

  it("imports iCalendar events (UTC, TZID, folded, escaped), with the same report rules", async () => {
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinicA] });
    const day = dayFromNow(6).replaceAll("-", "");
    const ics = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//test//EN",
      "BEGIN:VEVENT",
      "UID:a",
      `DTSTART:${day}T090000Z`,
      `DTEND:${day}T091500Z`,
      "SUMMARY:Morning\\, first ",
      " of the day",
      "CATEGORIES:new,a\\,b",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:b",
      `DTSTART;TZID=Europe/London:${day}T120000`,
      "DURATION:PT30M",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:c",
      `DTSTART:${day}T100000Z`,
      `DTEND:${day}T093000Z`,
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:d",
      `DTSTART;VALUE=DATE:${day}`,
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:e",
      `DTSTART:${day}T090500Z`,
      `DTEND:${day}T092000Z`,
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:f",
      "STATUS:CANCELLED",
      `DTSTART:${day}T150000Z`,
      `DTEND:${day}T151500Z`,
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    const refused = await call(reception, "POST", importPath(doctor.doctorId!, clinicA, "ics"), ics, "text/calendar");
    expect(refused.status).toBe(422);
    expect(rowsOf(((await refused.json()) as { report: ImportIssue[] }).report)).toEqual(["3:end", "4:DTSTART", "4:DTEND", "5:start"]);
    expect(await slotsOf(app, doctor.doctorId!)).toHaveLength(0);

    const result = await readJson(await call(reception, "POST", importPath(doctor.doctorId!, clinicA, "ics", true), ics, "text/calendar"), importResultSchema);
    expect(result.imported).toBe(2);
    expect(result.skipped).toEqual([6]);
    const stored = await slotsOf(app, doctor.doctorId!);
    expect(stored.map((s) => [new Date(s.starts_at).getTime(), new Date(s.ends_at).getTime() - new Date(s.starts_at).getTime()])).toEqual([
      [Date.parse(`${dayFromNow(6)}T09:00:00Z`), 15 * 60_000],
      [at(dayFromNow(6), "12:00").getTime(), 30 * 60_000],
    ]);
    expect(stored[0]).toMatchObject({ note: "Morning, first of the day", tags: ["new", "a,b"] });
  });

  it("exports a feed that imports into another doctor at another clinic with the same intervals", async () => {
    const source = await buildPerson(app, "doctor", { clinicIds: [clinicA] });
    const day = dayFromNow(7);
    await buildSlots(app, {
      doctorId: source.doctorId!, clinicId: clinicA, date: day, from: "09:00", count: 6, minutes: 20, serviceId, tags: ["first", "z"],
      status: (i) => (["available", "booked", "held", "available", "blocked", "available"] as const)[i]!,
    });
    // A second day, so the feed spans more than one day.
    await buildSlots(app, { doctorId: source.doctorId!, clinicId: clinicA, date: dayFromNow(9), from: "16:40", count: 2, minutes: 40 });
    const range = `clinicId=${clinicA}&from=${encodeURIComponent(at(dayFromNow(1), "00:00").toISOString())}&to=${encodeURIComponent(at(dayFromNow(20), "00:00").toISOString())}`;

    const feed = await call(source, "GET", `/doctors/${source.doctorId}/schedule.ics?${range}`);
    expect(feed.status).toBe(200);
    expect(feed.headers.get("content-type")).toMatch(/^text\/calendar/);
    const ics = await feed.text();
    expect(ics.split("\r\n").every((l) => new TextEncoder().encode(l).length <= 75)).toBe(true);
    const events = parseIcs(ics);
    const sourceSlots = await slotsOf(app, source.doctorId!);
    expect(events.map((e) => e.props.get("UID")![0]!.value)).toEqual(sourceSlots.map((s) => s.id));
    expect(events.map((e) => e.props.get("STATUS")![0]!.value)).toEqual([
      "TENTATIVE", "CONFIRMED", "TENTATIVE", "TENTATIVE", "CANCELLED", "TENTATIVE", "TENTATIVE", "TENTATIVE",
    ]);
    expect(events[1]!.props.get("SUMMARY")![0]!.value).toBe("Booked · Regular · Consultation");

    const live = sourceSlots.filter((s) => s.status !== "blocked");
    const intervals = (rows: { starts_at: Date; ends_at: Date }[]) => rows.map((s) => [new Date(s.starts_at).toISOString(), new Date(s.ends_at).toISOString()]);
    const target = await buildPerson(app, "doctor", { clinicIds: [clinicB] });
    const imported = await readJson(await call(receptionB, "POST", importPath(target.doctorId!, clinicB, "ics"), ics, "text/calendar"), importResultSchema);
    expect(imported.skipped).toEqual([5]);
    expect(intervals(await slotsOf(app, target.doctorId!))).toEqual(intervals(live));

    // The CSV export reads back the same way (services are per clinic, so the target clinic needs none here).
    const csvFeed = await call(reception, "GET", `/doctors/${source.doctorId}/schedule.csv?${range}`);
    expect(csvFeed.headers.get("content-type")).toMatch(/^text\/csv/);
    const csv = (await csvFeed.text()).replaceAll(",Consultation,", ",,");
    expect(csv).toContain(",first;z,");
    const third = await buildPerson(app, "doctor", { clinicIds: [clinicB] });
    const fromCsv = await readJson(await call(receptionB, "POST", importPath(third.doctorId!, clinicB, "csv"), csv, "text/csv"), importResultSchema);
    expect(fromCsv.skipped).toHaveLength(1);
    expect(intervals(await slotsOf(app, third.doctorId!))).toEqual(intervals(live));
  });

  it("refuses bad requests and callers without the right", async () => {
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinicA] });
    const csv = `date,start,end\n${dayFromNow(3)},09:00,09:15\n`;
    const path = importPath(doctor.doctorId!, clinicA, "csv");
    expect((await call(receptionOther, "POST", path, csv, "text/csv")).status).toBe(403);
    expect((await call(patient, "POST", path, csv, "text/csv")).status).toBe(403);
    expect((await call(reception, "POST", path, csv, "application/xml")).status).toBe(415);
    const noFormat = await call(reception, "POST", `/doctors/${doctor.doctorId}/slots/import?clinicId=${clinicA}`, csv, "text/csv");
    expect(noFormat.status).toBe(400);
    expect(problemSchema.parse(await noFormat.json()).errors?.map((e) => e.field)).toEqual(["query.format"]);
    const huge = `date,start,end\n${`${dayFromNow(3)},09:00,09:15\n`.repeat(50_000)}`;
    expect((await call(reception, "POST", path, huge, "text/csv")).status).toBe(413);
    expect((await call(receptionB, "POST", importPath(doctor.doctorId!, clinicB, "csv"), csv, "text/csv")).status).toBe(422);
    expect((await call(patient, "GET", `/doctors/${doctor.doctorId}/schedule.ics?clinicId=${clinicA}`)).status).toBe(403);
    expect((await call(receptionOther, "GET", `/doctors/${doctor.doctorId}/schedule.ics?clinicId=${clinicA}`)).status).toBe(403);
    expect(await slotsOf(app, doctor.doctorId!)).toHaveLength(0);

    const ok = await readJson(await call(reception, "POST", path, csv, "text/csv"), importResultSchema);
    expect(ok.imported).toBe(1);

    // Rows inside the doctor's time off are reported, not imported.
    const leave = await call(reception, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
      clinicId: clinicA, kind: "vacation", startsAt: at(dayFromNow(4), "00:00").toISOString(), endsAt: at(dayFromNow(5), "00:00").toISOString(), reason: "Off",
    });
    expect(leave.status).toBe(201);
    const during = await call(reception, "POST", path, `date,start,end\n${dayFromNow(4)},09:00,09:15\n`, "text/csv");
    expect(during.status).toBe(422);
    expect(((await during.json()) as { report: ImportIssue[] }).report[0]).toMatchObject({
      row: 2,
      field: "start",
      message: `falls within the doctor's vacation from ${dayFromNow(4)} 00:00 to ${dayFromNow(5)} 00:00`,
    });
  });
});
