/**
 * The waitlist's SQL: offer and entry reads with their views, and the sweep that closes offers whose
 * hold ended elsewhere (expired by the hold-expiry job, taken over, confirmed or paid through the
 * appointment routes). Lock order everywhere: offer, then entry, then appointment, then slot.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { WaitlistEntryView, WaitlistOfferView } from "@clinic/shared";
import { liveAppointmentHoldSql, pgArray } from "../booking";
import type { WaitlistEvent } from "./waitlist.realtime";

/** An offer whose hold is live: the pending appointment it made, before its expiry. */
export const LIVE_OFFER = `(o.status = 'offered' and ${liveAppointmentHoldSql("a")})`;

/** Appointment statuses that mean the offered slot was kept. */
export const KEPT = `('scheduled','checked_in','in_consultation','completed','no_show')`;

export interface OfferRow {
  id: string;
  entry_id: string;
  slot_id: string;
  appointment_id: string;
  status: WaitlistOfferView["status"];
  expires_at: Date;
  created_at: Date;
  starts_at: Date;
  ends_at: Date;
  patient_id: string;
  patient_user_id: string;
  clinic_id: string;
  appointment_status: string;
  hold_expires_at: Date | null;
}

/**
 * An offer as its readers see it: an `offered` one whose appointment was kept (confirmed or paid
 * through the appointment routes) reads as accepted, one whose hold otherwise ended as expired.
 */
export const OFFER_SELECT = `select o.id, o.entry_id, o.slot_id, o.appointment_id, o.expires_at, o.created_at,
    case when o.status = 'offered' and a.status in ${KEPT} then 'accepted' when o.status = 'offered' and not ${LIVE_OFFER} then 'expired'
         else o.status end as status,
    a.starts_at, a.ends_at, a.status as appointment_status, a.hold_expires_at, e.patient_id, e.clinic_id, p.user_id as patient_user_id
  from waitlist_offer o join appointment a on a.id = o.appointment_id join waitlist_entry e on e.id = o.entry_id join patient p on p.id = e.patient_id`;

const iso = (value: Date | string) => new Date(value).toISOString();

export function offerView(row: OfferRow): WaitlistOfferView {
  return {
    id: row.id,
    entryId: row.entry_id,
    slotId: row.slot_id,
    appointmentId: row.appointment_id,
    status: row.status,
    start: iso(row.starts_at),
    end: iso(row.ends_at),
    expiresAt: iso(row.expires_at),
    createdAt: iso(row.created_at),
  };
}

export async function readOffer(em: EntityManager, id: string): Promise<OfferRow | null> {
  const [row] = await em.execute<OfferRow[]>(`${OFFER_SELECT} where o.id = ?`, [id]);
  return row ?? null;
}

export interface EntryRow {
  id: string;
  patient_id: string;
  doctor_id: string;
  clinic_id: string;
  service_id: string | null;
  date_from: string;
  date_to: string;
  window_start: string | null;
  window_end: string | null;
  priority: number;
  status: WaitlistEntryView["status"];
  created_at: Date;
  patient_user_id: string;
}

/** Entries with the patient's account; `offered` reads as waiting once its offer's hold ended. */
export const ENTRY_SELECT = `select e.id, e.patient_id, e.doctor_id, e.clinic_id, e.service_id, to_char(e.date_from, 'YYYY-MM-DD') as date_from,
    to_char(e.date_to, 'YYYY-MM-DD') as date_to, e.window_start, e.window_end, e.priority, e.created_at, p.user_id as patient_user_id,
    case when e.status = 'offered' and not exists (select 1 from waitlist_offer o join appointment a on a.id = o.appointment_id
      where o.entry_id = e.id and ${LIVE_OFFER}) then 'waiting' else e.status end as status
  from waitlist_entry e join patient p on p.id = e.patient_id`;

/** A user's entries still in play (waiting or offered), with their live offers: the `me` snapshot's part. */
export async function activeEntriesOfUser(em: EntityManager, userId: string): Promise<WaitlistEntryView[]> {
  const rows = await em.execute<EntryRow[]>(
    `select * from (${ENTRY_SELECT} where p.user_id = ? and e.status in ('waiting', 'offered')) x order by priority desc, created_at, id limit 100`,
    [userId],
  );
  return entryViews(em, rows);
}

export async function readEntry(em: EntityManager, id: string): Promise<EntryRow | null> {
  const [row] = await em.execute<EntryRow[]>(`${ENTRY_SELECT} where e.id = ?`, [id]);
  return row ?? null;
}

/** Entries with their live offers, in offer order (priority, then joining time). */
export async function entryViews(em: EntityManager, rows: EntryRow[]): Promise<WaitlistEntryView[]> {
  const ids = rows.map((row) => row.id);
  const offers = ids.length
    ? await em.execute<OfferRow[]>(`${OFFER_SELECT} where o.entry_id = any(?::uuid[]) and ${LIVE_OFFER}`, [pgArray(ids)])
    : [];
  const byEntry = new Map(offers.map((offer) => [offer.entry_id, offerView(offer)]));
  return rows.map((row) => ({
    id: row.id,
    patientId: row.patient_id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    serviceId: row.service_id,
    from: row.date_from,
    to: row.date_to,
    window: row.window_start && row.window_end ? { start: row.window_start, end: row.window_end } : null,
    priority: row.priority,
    status: row.status,
    offer: byEntry.get(row.id) ?? null,
    createdAt: iso(row.created_at),
  }));
}

/**
 * Closes every `offered` offer whose hold is no longer live: `accepted` when its appointment was
 * kept (confirmed or paid through the appointment routes), else `expired`; each entry follows
 * (booked, or back to waiting). Offers another transaction holds are skipped: it is answering them.
 */
export async function sweepEndedOffers(tx: EntityManager): Promise<WaitlistEvent[]> {
  const closed = await tx.execute<{ id: string; entry_id: string; status: "accepted" | "expired" }[]>(
    `with ended as (
       select o.id from waitlist_offer o join appointment a on a.id = o.appointment_id
        where o.status = 'offered' and not ${LIVE_OFFER} order by o.id for update of o skip locked)
     update waitlist_offer o set status = case when a.status in ${KEPT} then 'accepted' else 'expired' end, updated_at = now()
       from ended, appointment a where o.id = ended.id and a.id = o.appointment_id
     returning o.id, o.entry_id, o.status`,
  );
  if (closed.length === 0) return [];
  for (const to of ["booked", "waiting"] as const) {
    const entryIds = closed.filter((offer) => (offer.status === "accepted") === (to === "booked")).map((offer) => offer.entry_id);
    if (entryIds.length) {
      await tx.execute(`update waitlist_entry set status = ?, updated_at = now() where id = any(?::uuid[]) and status = 'offered'`, [to, pgArray(entryIds)]);
    }
  }
  const rows = await tx.execute<OfferRow[]>(`${OFFER_SELECT} where o.id = any(?::uuid[])`, [pgArray(closed.map((offer) => offer.id))]);
  return rows.map((row) => ({ patientUserId: row.patient_user_id, type: `waitlist.${row.status as "accepted" | "expired"}`, offer: offerView(row) }));
}
