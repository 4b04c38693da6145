/**
 * The waiting-room display feed: anonymised by construction. The SQL reads only what a screen may
 * show (ticket, status, room, the doctor's display name, ETA) plus the patient's name, which never
 * leaves this file unmasked: it becomes initials ("A. R."). No patient id, phone, reason or kind.
 * Also the daily check-in code the screen shows, which proves a self-checking-in patient is there.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { DisplayCalled, DisplaySnapshot, DisplayTicket } from "@clinic/shared";
import { clinicFacts } from "./queue.store";

const NOW_SERVING_LIMIT = 10;
const NEXT_LIMIT = 20;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * The clinic's check-in code for a local date: HMAC-SHA256(secret, "queue-check-in:{clinicId}:{date}")
 * as 8 Crockford base32 characters (40 bits). Only someone who can see the clinic's screen (or its
 * printed QR of the day) knows it; it changes at the clinic's midnight and needs no storage.
 */
export function checkInCode(secret: string, clinicId: string, date: string): string {
  const mac = createHmac("sha256", secret).update(`queue-check-in:${clinicId}:${date}`).digest();
  let bits = 0n;
  for (const byte of mac.subarray(0, 5)) bits = (bits << 8n) | BigInt(byte);
  let code = "";
  for (let i = 7; i >= 0; i--) code += CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)];
  return code;
}

/** Constant-time comparison of a typed code with the day's. */
export function checkInCodeMatches(secret: string, clinicId: string, date: string, given: string): boolean {
  const expected = Buffer.from(checkInCode(secret, clinicId, date));
  const actual = Buffer.from(given.toUpperCase());
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const initial = (word: string) => (Array.from(word)[0] ?? "").toLocaleUpperCase();

/** "Anna Maria Roberts" → "A. R."; "Cher" → "C."; empty → "?". First and last initials only. */
export function maskName(fullName: string): string {
  const words = fullName.trim().split(/\s+/u).filter(Boolean);
  if (words.length === 0) return "?";
  const first = initial(words[0]!);
  return words.length === 1 ? `${first}.` : `${first}. ${initial(words[words.length - 1]!)}.`;
}

interface FeedRow {
  ticket: string;
  full_name: string;
  room: string | null;
  doctor_name: string | null;
  status: "waiting" | "called" | "in_room";
  expected_at: Date | null;
  called_at: Date | null;
}

function ticketOf(row: FeedRow, now: number): DisplayTicket {
  return {
    ticket: row.ticket,
    maskedName: maskName(row.full_name),
    room: row.room,
    doctorName: row.doctor_name,
    status: row.status,
    estimatedWaitMinutes: row.expected_at === null ? null : Math.max(0, Math.round((new Date(row.expected_at).getTime() - now) / 60_000)),
    expectedAt: row.expected_at === null ? null : new Date(row.expected_at).toISOString(),
  };
}

/** The whole feed: the subscribe ack, the `display.updated` event and GET /clinics/:clinicId/display. */
export async function displayFeed(em: EntityManager, secret: string, clinicId: string, now = new Date()): Promise<DisplaySnapshot> {
  const clinic = await clinicFacts(em, clinicId, now);
  // One statement reads the rows, the count and the database clock, so `asOf` dates what the feed
  // saw: feeds built by racing commits may be published out of order, and a screen keeps the newest.
  // Only the rows a screen shows are read (the limits are in SQL): a long queue costs a count.
  const WAITING_ORDER = `(q.kind = 'emergency') desc, q.manual_rank asc nulls last, q.expected_at asc nulls last, coalesce(a.starts_at, q.arrived_at), q.arrived_at, q.id`;
  const read = await em.execute<(FeedRow & { as_of: Date; waiting_count: number })[]>(
    `select now_.as_of, now_.waiting_count, f.* from (
       select clock_timestamp() as as_of,
              (select count(*)::int from queue_entry w where w.clinic_id = ? and w.service_day = ? and w.status = 'waiting') as waiting_count
     ) now_ left join lateral (
       select x.grp, x.ord, x.ticket, p.full_name, x.room, d.display_name as doctor_name, x.status, x.expected_at, x.called_at
         from ((select 0 as grp, row_number() over (order by q.called_at desc nulls last, q.id) as ord, q.*
                  from queue_entry q where q.clinic_id = ? and q.service_day = ? and q.status in ('called', 'in_room')
                 order by q.called_at desc nulls last, q.id limit ${NOW_SERVING_LIMIT})
               union all
               (select 1, row_number() over (order by ${WAITING_ORDER}), q.*
                  from queue_entry q left join appointment a on a.id = q.appointment_id
                 where q.clinic_id = ? and q.service_day = ? and q.status = 'waiting'
                 order by ${WAITING_ORDER} limit ${NEXT_LIMIT})) x
         join patient p on p.id = x.patient_id left join doctor d on d.id = x.doctor_id
     ) f on true
     order by f.grp, f.ord`,
    [clinic.id, clinic.today, clinic.id, clinic.today, clinic.id, clinic.today],
  );
  const asOf = new Date(read[0]!.as_of).toISOString();
  const rows = read.filter((row) => row.ticket !== null);
  const at = now.getTime();
  const serving = rows.filter((row) => row.status !== "waiting");
  const waiting = rows.filter((row) => row.status === "waiting");
  return {
    clinic: { id: clinic.id, name: clinic.name, timeZone: clinic.timeZone },
    date: clinic.today,
    checkInCode: checkInCode(secret, clinic.id, clinic.today),
    nowServing: serving.map((row) => ticketOf(row, at)),
    next: waiting.map((row) => ticketOf(row, at)),
    waitingCount: read[0]!.waiting_count,
    asOf,
  };
}

/** The `display.called` announcement. */
export function calledAnnouncement(entry: { ticket: string; patientName: string; room: string | null; doctorName: string | null; calledAt: string | null }): DisplayCalled {
  return {
    ticket: entry.ticket,
    maskedName: maskName(entry.patientName),
    room: entry.room,
    doctorName: entry.doctorName,
    calledAt: entry.calledAt ?? new Date().toISOString(),
  };
}
