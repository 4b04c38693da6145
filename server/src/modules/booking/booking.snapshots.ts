/**
 * What a subscriber sees first on each booking topic: the current rows, in the same shape as the
 * events' `data` (minus `cause`), so a client can replace its state with the snapshot and then apply
 * events by `slotId` / `appointmentId`.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { liveAppointmentStatuses, type ClinicSnapshot, type DoctorSnapshot, type MeSnapshot, type SlotsSnapshot } from "@clinic/shared";
import { BLOCK_SELECT } from "./appointment.store";
import { APPOINTMENT_COLUMNS, appointmentChange, blockChange, type AppointmentRow, type BlockRow } from "./appointment.views";
import type { AppointmentChange, SlotChange } from "./booking.realtime";
import { unreadCount } from "../notifications/inbox.service";
import { activeEntriesOfUser } from "../waitlist/waitlist.store";
import { clinicQueueOf, doctorQueueOf } from "../queue/queue.views";

export type SlotView = Omit<SlotChange, "cause">;
export type AppointmentView = Omit<AppointmentChange, "cause">;

const DAY_MS = 86_400_000;
/** Upper bound on rows in one snapshot; a client needing more pages through REST. */
export const SNAPSHOT_LIMIT = 500;

const LIVE = `array[${liveAppointmentStatuses.map((status) => `'${status}'`).join(",")}]::text[]`;

interface SlotRow {
  id: string;
  doctor_id: string;
  clinic_id: string;
  starts_at: Date;
  ends_at: Date;
  status: string;
  kind: string;
  version: number;
  hold_expires_at: Date | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function slotView(row: SlotRow, now: Date): SlotView {
  // A lapsed hold is free to every reader, as in the public search.
  const lapsed = row.status === "held" && row.hold_expires_at !== null && new Date(row.hold_expires_at) <= now;
  return {
    slotId: row.id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    start: iso(row.starts_at),
    end: iso(row.ends_at),
    status: lapsed ? "available" : row.status,
    kind: row.kind,
    version: row.version,
    holdExpiresAt: row.status === "held" && !lapsed && row.hold_expires_at ? iso(row.hold_expires_at) : null,
  };
}

/** The event payload without its cause: the same builder the events use. */
function appointmentView(row: AppointmentRow & { patient_user_id: string }): AppointmentView {
  const { cause: _cause, ...view } = appointmentChange(row, "");
  return view;
}

/**
 * `slots:{doctorId}`: the doctor's slots a patient could book or is waiting on over the next 7 days,
 * with the public search's visibility (regular kind, active clinic, approved and active doctor):
 * available ones, and held ones (a lapsed hold shows as available; a live one carries
 * `holdExpiresAt` for the countdown); and the doctor's elastic blocks in that window with their fill
 * (`elastic.*` events update them; offers for a service come from GET /slots). No patient data.
 */
export async function slotsSnapshot(em: EntityManager, doctorId: string, now = new Date()): Promise<SlotsSnapshot> {
  const to = new Date(now.getTime() + 7 * DAY_MS);
  const visible = `join doctor d on d.id = ? join user_account u on u.id = d.user_id
    where c.active and d.approval_status = 'approved' and u.status = 'active'`;
  const [rows, blocks] = await Promise.all([
    em.getConnection().execute<SlotRow[]>(
      `select s.id, s.doctor_id, s.clinic_id, s.starts_at, s.ends_at, s.status, s.kind, s.version, s.hold_expires_at
         from slot s join clinic c on c.id = s.clinic_id ${visible}
          and s.doctor_id = d.id and s.starts_at >= ? and s.starts_at < ? and s.status in ('available', 'held') and s.kind = 'regular'
        order by s.starts_at, s.id limit ?`,
      [doctorId, now, to, SNAPSHOT_LIMIT],
    ),
    em.getConnection().execute<BlockRow[]>(
      `${BLOCK_SELECT} join clinic c on c.id = b.clinic_id ${visible}
          and b.doctor_id = d.id and b.ends_at > ? and b.starts_at < ?
        order by b.starts_at, b.id limit ?`,
      [doctorId, now, to, SNAPSHOT_LIMIT],
    ),
  ]);
  return {
    doctorId,
    from: now.toISOString(),
    to: to.toISOString(),
    slots: rows.map((row) => slotView(row, now)),
    blocks: blocks.map((row) => {
      const { cause: _cause, ...view } = blockChange(row, "");
      return view;
    }),
  };
}

const APPOINTMENT_SELECT = `select ${APPOINTMENT_COLUMNS}, p.user_id as patient_user_id
  from appointment a join patient p on p.id = a.patient_id join clinic c on c.id = a.clinic_id`;

/** Start of the local day `offsetDays` from today in the appointment's clinic zone (DST-correct). */
const localDay = (offsetDays: number) =>
  `((date_trunc('day', now() at time zone c.time_zone) + interval '${offsetDays} days') at time zone c.time_zone)`;

/** `doctor:{doctorId}`: the doctor's live appointments from the start of today (clinic time) through the next 7 days. */
export async function doctorSnapshot(em: EntityManager, doctorId: string): Promise<DoctorSnapshot> {
  const rows = await em.getConnection().execute<(AppointmentRow & { patient_user_id: string })[]>(
    `${APPOINTMENT_SELECT}
      where a.doctor_id = ? and a.status = any(${LIVE}) and a.starts_at >= ${localDay(0)} and a.starts_at < ${localDay(8)}
      order by a.starts_at, a.id limit ?`,
    [doctorId, SNAPSHOT_LIMIT],
  );
  // The doctor's queue today comes along, so a screen that reconnects resyncs both.
  return { doctorId, appointments: rows.map(appointmentView), queue: (await doctorQueueOf(em, doctorId)).items };
}

/** `clinic:{clinicId}`: the clinic's live appointments today (clinic time). */
export async function clinicSnapshot(em: EntityManager, clinicId: string): Promise<ClinicSnapshot> {
  const rows = await em.getConnection().execute<(AppointmentRow & { patient_user_id: string })[]>(
    `${APPOINTMENT_SELECT}
      where a.clinic_id = ? and a.status = any(${LIVE}) and a.starts_at >= ${localDay(0)} and a.starts_at < ${localDay(1)}
      order by a.starts_at, a.id limit ?`,
    [clinicId, SNAPSHOT_LIMIT],
  );
  return { clinicId, appointments: rows.map(appointmentView), queue: (await clinicQueueOf(em, clinicId)).items };
}

/** `me:{userId}`: the user's own live appointments that have not ended yet. */
export async function meSnapshot(em: EntityManager, userId: string, now = new Date()): Promise<MeSnapshot> {
  const rows = await em.getConnection().execute<(AppointmentRow & { patient_user_id: string })[]>(
    `${APPOINTMENT_SELECT}
      where p.user_id = ? and a.status = any(${LIVE}) and a.ends_at > ?
      order by a.starts_at, a.id limit ?`,
    [userId, now, SNAPSHOT_LIMIT],
  );
  // Everything a reconnecting client resyncs: appointments, the inbox's unread count, waitlist offers.
  const [unreadNotifications, waitlist] = await Promise.all([unreadCount(em, userId), activeEntriesOfUser(em, userId)]);
  return { userId, appointments: rows.map(appointmentView), unreadNotifications, waitlist };
}

/** Facts the topic guards need about a doctor: whether the public may see it, and where it works. */
export async function doctorFacts(em: EntityManager, doctorId: string) {
  const [row] = await em.getConnection().execute<{ listed: boolean; clinic_ids: string[] | null }[]>(
    `select (d.approval_status = 'approved' and u.status = 'active') as listed,
            array(select dc.clinic_id from doctor_clinic dc where dc.doctor_id = d.id) as clinic_ids
       from doctor d join user_account u on u.id = d.user_id where d.id = ?`,
    [doctorId],
  );
  return row ? { listed: row.listed, clinicIds: row.clinic_ids ?? [] } : null;
}
