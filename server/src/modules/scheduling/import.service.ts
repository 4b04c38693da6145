/**
 * Importing slots from CSV or iCalendar. Every row is checked (dates, times, service, overlaps with
 * the doctor's live slots and with the file's other rows) and reported; a file with any issue imports
 * nothing (422 IMPORT_HAS_ERRORS) unless the caller asks to skip bad rows.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { localDateOf, localDateSchema, localTimeOf, slotKinds, wallTimeSchema, zonedToInstant, type ImportIssue, type ImportResult, type SlotKind } from "@clinic/shared";
import { unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { ClinicService } from "../directory";
import { CsvSyntaxError, parseCsv } from "./csv";
import { IcsSyntaxError, parseDateTime, parseIcs, splitTextList, unescapeText } from "./ical";
import { byStartThenId, entityChange, recorded, type WithSlotChanges } from "./slot-events";
import { Slot } from "./slot.entity";
import { isOverlapViolation, loadClinic, loadDoctor, overlapConflict, requireWorksAt, slotView } from "./slot-rows";
import type { SlotRow } from "./slot.store";
import { coveringUnavailability, lockUnavailabilityShared } from "./unavailability.service";
import { finishOrRollBack, withDryRun } from "./dry-run";

/** "2026-06-01 09:00" in the clinic's zone: how the admin wrote the file, so how the report speaks. */
const localSpan = (instant: Date, zone: string) => `${localDateOf(instant, zone)} ${localTimeOf(instant, zone)}`;

export const MAX_IMPORT_ROWS = 5000;
const MAX_SLOT_MS = 24 * 3_600_000;
/** `status` is what an export writes: rows with status "blocked" are skipped, the rest import as available. */
export const CSV_COLUMNS = ["date", "start", "end", "kind", "service", "tags", "note", "status"] as const;

interface Candidate {
  row: number;
  start: Date;
  end: Date;
  kind: SlotKind;
  serviceName: string | null;
  tags: string[];
  note: string | null;
}

interface Parsed {
  candidates: Candidate[];
  issues: ImportIssue[];
  skipped: number[];
  /** The file as a whole is unusable (syntax, header, size): nothing can be imported. */
  fatal?: boolean;
}

const hasErrors = (report: ImportIssue[]) =>
  unprocessable("IMPORT_HAS_ERRORS", `The file has ${report.length} problem(s); nothing was imported`, { report });

function checkTags(raw: string[], row: number, issues: ImportIssue[]): string[] {
  const tags = [...new Set(raw.map((t) => t.trim()).filter(Boolean))];
  if (tags.length > 10) issues.push({ row, field: "tags", message: "at most 10 tags" });
  for (const tag of tags) {
    if (tag.length > 40) issues.push({ row, field: "tags", message: `tag "${tag.slice(0, 20)}…" is longer than 40 characters` });
    if (tag.startsWith("unavailability:")) issues.push({ row, field: "tags", message: "tags starting with unavailability: are reserved" });
  }
  return tags;
}

function checkKind(value: string | undefined, row: number, issues: ImportIssue[], field = "kind"): SlotKind {
  const kind = (value ?? "").trim().toLowerCase() || "regular";
  if (!(slotKinds as readonly string[]).includes(kind)) {
    issues.push({ row, field, message: `must be one of ${slotKinds.join(", ")}` });
    return "regular";
  }
  return kind as SlotKind;
}

function checkInterval(c: { row: number; start: Date; end: Date }, issues: ImportIssue[], now: number): boolean {
  if (c.end.getTime() <= c.start.getTime()) {
    issues.push({ row: c.row, field: "end", message: "must be after start" });
    return false;
  }
  if (c.end.getTime() - c.start.getTime() > MAX_SLOT_MS) {
    issues.push({ row: c.row, field: "end", message: "a slot may not be longer than 24 hours" });
    return false;
  }
  if (c.start.getTime() <= now) {
    issues.push({ row: c.row, field: "start", message: "is in the past" });
    return false;
  }
  return true;
}

export function parseCsvSlots(text: string, zone: string, now = Date.now()): Parsed {
  const issues: ImportIssue[] = [];
  const candidates: Candidate[] = [];
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return { candidates, issues: [{ row: error.line, field: "file", message: error.message }], skipped: [], fatal: true };
    throw error;
  }
  const [header, ...rows] = records;
  if (!header) return { candidates, issues: [{ row: 1, field: "file", message: "the file is empty" }], skipped: [], fatal: true };
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  for (const column of columns) {
    if (!(CSV_COLUMNS as readonly string[]).includes(column)) issues.push({ row: header.line, field: column || "header", message: "unknown column" });
  }
  for (const required of ["date", "start", "end"]) {
    if (!columns.includes(required)) issues.push({ row: header.line, field: required, message: "required column missing" });
  }
  if (new Set(columns).size !== columns.length) issues.push({ row: header.line, field: "header", message: "a column appears twice" });
  if (issues.length) return { candidates, issues, skipped: [], fatal: true };
  if (rows.length === 0) return { candidates, issues: [{ row: header.line, field: "file", message: "no slots in the file" }], skipped: [], fatal: true };
  if (rows.length > MAX_IMPORT_ROWS) return { candidates, issues: [{ row: 1, field: "file", message: `at most ${MAX_IMPORT_ROWS} rows` }], skipped: [], fatal: true };

  const skipped: number[] = [];
  for (const record of rows) {
    const row = record.line;
    if (record.fields.length !== columns.length) {
      issues.push({ row, field: "row", message: `expected ${columns.length} fields, found ${record.fields.length}` });
      continue;
    }
    const get = (name: string) => {
      const i = columns.indexOf(name);
      return i < 0 ? undefined : record.fields[i]!.trim();
    };
    if (get("status")?.toLowerCase() === "blocked") {
      skipped.push(row);
      continue;
    }
    const before = issues.length;
    const date = get("date")!;
    const start = get("start")!;
    const end = get("end")!;
    if (!localDateSchema.safeParse(date).success) issues.push({ row, field: "date", message: "must be a real date YYYY-MM-DD" });
    if (!wallTimeSchema.safeParse(start).success) issues.push({ row, field: "start", message: "must be HH:MM (24-hour)" });
    if (!wallTimeSchema.safeParse(end).success) issues.push({ row, field: "end", message: "must be HH:MM (24-hour)" });
    const kind = checkKind(get("kind"), row, issues);
    const tags = checkTags((get("tags") ?? "").split(";"), row, issues);
    const note = get("note") || null;
    if (note && note.length > 1000) issues.push({ row, field: "note", message: "at most 1000 characters" });
    if (issues.length > before) continue;
    const startsAt = zonedToInstant(date, start, zone);
    const endsAt = zonedToInstant(date, end, zone);
    if (localTimeOf(startsAt, zone) !== start) {
      issues.push({ row, field: "start", message: `${date} ${start} does not exist in ${zone} (clocks change)` });
      continue;
    }
    if (localTimeOf(endsAt, zone) !== end) {
      issues.push({ row, field: "end", message: `${date} ${end} does not exist in ${zone} (clocks change)` });
      continue;
    }
    const candidate = { row, start: startsAt, end: endsAt, kind, serviceName: get("service") || null, tags, note };
    if (checkInterval(candidate, issues, now)) candidates.push(candidate);
  }
  return { candidates, issues, skipped };
}

export function parseIcsSlots(text: string, zone: string, now = Date.now()): Parsed {
  const issues: ImportIssue[] = [];
  const candidates: Candidate[] = [];
  const skipped: number[] = [];
  let events;
  try {
    events = parseIcs(text);
  } catch (error) {
    if (error instanceof IcsSyntaxError) return { candidates, issues: [{ row: 0, field: "file", message: error.message }], skipped, fatal: true };
    throw error;
  }
  if (events.length === 0) return { candidates, issues: [{ row: 0, field: "file", message: "no VEVENT in the file" }], skipped, fatal: true };
  if (events.length > MAX_IMPORT_ROWS) return { candidates, issues: [{ row: 0, field: "file", message: `at most ${MAX_IMPORT_ROWS} events` }], skipped, fatal: true };
  for (const event of events) {
    const row = event.ordinal;
    const one = (name: string) => event.props.get(name)?.[0];
    if (one("STATUS")?.value.trim().toUpperCase() === "CANCELLED") {
      skipped.push(row);
      continue;
    }
    const before = issues.length;
    const dtstart = one("DTSTART");
    const start = dtstart ? parseDateTime(dtstart, zone) : "required";
    if (typeof start === "string") issues.push({ row, field: "DTSTART", message: start });
    let end: Date | string = "required";
    const dtend = one("DTEND");
    const duration = one("DURATION")?.value.trim();
    if (dtend) end = parseDateTime(dtend, zone);
    else if (duration && start instanceof Date) {
      const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(duration);
      end = m && (m[1] || m[2] || m[3])
        ? new Date(start.getTime() + (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000)
        : "DURATION must be PT…H…M…S";
    }
    if (typeof end === "string") issues.push({ row, field: "DTEND", message: end });
    const kind = checkKind(one("X-CLINIC-LIVE-KIND") ? unescapeText(one("X-CLINIC-LIVE-KIND")!.value) : undefined, row, issues, "X-CLINIC-LIVE-KIND");
    const tags = checkTags((event.props.get("CATEGORIES") ?? []).flatMap((line) => splitTextList(line.value)), row, issues);
    const summary = one("SUMMARY");
    const note = summary ? unescapeText(summary.value).trim() || null : null;
    if (note && note.length > 1000) issues.push({ row, field: "SUMMARY", message: "at most 1000 characters" });
    if (issues.length > before || !(start instanceof Date) || !(end instanceof Date)) continue;
    const candidate = { row, start, end, kind, serviceName: null, tags, note };
    if (checkInterval(candidate, issues, now)) candidates.push(candidate);
  }
  return { candidates, issues, skipped };
}

export async function importSlots(
  em: EntityManager,
  actor: AuditActor,
  doctorId: string,
  options: { clinicId: string; format: "csv" | "ics"; skipBadRows: boolean; body: string; dryRun?: boolean },
): Promise<WithSlotChanges<ImportResult>> {
  return withDryRun(() => em.transactional(async (tx) => {
      const doctor = await loadDoctor(tx, doctorId);
      const clinic = await loadClinic(tx, options.clinicId);
      requireWorksAt(doctor, clinic.id);
      const parsed = options.format === "csv" ? parseCsvSlots(options.body, clinic.timeZone) : parseIcsSlots(options.body, clinic.timeZone);
      const issues = parsed.issues;
      if (parsed.fatal) throw hasErrors(issues);

      // Services by name at this clinic (active ones).
      const services = await tx.find(ClinicService, { clinic: clinic.id, active: true });
      const serviceOf = (name: string) =>
        services.find((s) => s.name === name) ??
        (services.filter((s) => s.name.toLowerCase() === name.toLowerCase()).length === 1
          ? services.find((s) => s.name.toLowerCase() === name.toLowerCase())
          : undefined);
      let candidates = parsed.candidates.filter((c) => {
        if (c.serviceName && !serviceOf(c.serviceName)) {
          issues.push({ row: c.row, field: "service", message: `no active service named "${c.serviceName}" at this clinic` });
          return false;
        }
        return true;
      });

      // Time off and closures, overlaps with the doctor's live slots (any clinic) and between rows.
      await lockUnavailabilityShared(tx);
      if (candidates.length) {
        const min = new Date(Math.min(...candidates.map((c) => c.start.getTime())));
        const max = new Date(Math.max(...candidates.map((c) => c.end.getTime())));
        const away = await coveringUnavailability(tx, doctorId, clinic.id, min, max);
        candidates = candidates.filter((c) => {
          const hit = away.find((u) => +new Date(u.starts_at) < c.end.getTime() && (u.ends_at === null || +new Date(u.ends_at) > c.start.getTime()));
          if (hit) {
            const whose = hit.kind === "holiday" || hit.kind === "closure" ? "the clinic's" : "the doctor's";
            const until = hit.ends_at === null ? "until further notice" : `to ${localSpan(new Date(hit.ends_at), clinic.timeZone)}`;
            issues.push({ row: c.row, field: "start", message: `falls within ${whose} ${hit.kind.replaceAll("_", " ")} from ${localSpan(new Date(hit.starts_at), clinic.timeZone)} ${until}` });
          }
          return !hit;
        });
        const existing = await tx.execute<(Pick<SlotRow, "id" | "starts_at" | "ends_at" | "status"> & { clinic_name: string })[]>(
          `select s.id, s.starts_at, s.ends_at, s.status, c.name as clinic_name from slot s join clinic c on c.id = s.clinic_id
            where s.doctor_id = ? and s.status <> 'expired' and not s.overbooked and s.starts_at < ? and s.ends_at > ? order by s.starts_at`,
          [doctorId, max, min],
        );
        candidates = candidates.filter((c) => {
          const hit = existing.find((e) => +new Date(e.starts_at) < c.end.getTime() && +new Date(e.ends_at) > c.start.getTime());
          if (hit) {
            issues.push({
              row: c.row,
              field: "start",
              message: `overlaps the doctor's ${hit.status} slot ${localSpan(new Date(hit.starts_at), clinic.timeZone)}–${localTimeOf(new Date(hit.ends_at), clinic.timeZone)} at ${hit.clinic_name}`,
            });
          }
          return !hit;
        });
        const accepted: Candidate[] = [];
        let latest: Candidate | undefined;
        for (const c of [...candidates].sort((a, b) => a.start.getTime() - b.start.getTime() || a.row - b.row)) {
          if (latest && c.start.getTime() < latest.end.getTime()) {
            issues.push({ row: c.row, field: "start", message: `overlaps row ${latest.row}` });
            continue;
          }
          accepted.push(c);
          if (!latest || c.end.getTime() > latest.end.getTime()) latest = c;
        }
        candidates = accepted.sort((a, b) => a.row - b.row);
      }

      issues.sort((a, b) => a.row - b.row);
      if (issues.length && !options.skipBadRows) throw hasErrors(issues);

      const slots = candidates.map((c) =>
        tx.create(Slot, {
          doctor: doctorId,
          clinic: clinic.id,
          service: c.serviceName ? serviceOf(c.serviceName)!.id : null,
          startsAt: c.start,
          endsAt: c.end,
          status: "available",
          kind: c.kind,
          tags: c.tags,
          note: c.note,
          version: 1,
        }),
      );
      recordAudit(tx, actor, {
        action: "scheduling.slots.import",
        entityType: "Doctor",
        entityId: doctorId,
        clinicId: clinic.id,
        after: { format: options.format, imported: slots.length, slotIds: slots.map((s) => s.id), report: issues, skipped: parsed.skipped },
      });
      await tx.flush();
      const reply: ImportResult = {
        imported: slots.length,
        slots: slots.map((s) =>
          slotView({
            id: s.id,
            doctor_id: doctorId,
            clinic_id: clinic.id,
            service_id: s.service?.id ?? null,
            starts_at: s.startsAt,
            ends_at: s.endsAt,
            status: "available",
            kind: s.kind,
            version: 1,
          }),
        ),
        report: issues,
        skipped: parsed.skipped,
      };
      return finishOrRollBack(!!options.dryRun, await recorded(tx, { reply, changes: slots.map((slot) => entityChange(slot, "created")).sort(byStartThenId) }));
    }))
    .catch((error: unknown) => {
      throw isOverlapViolation(error) ? overlapConflict() : error;
    });
}
