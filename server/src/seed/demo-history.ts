/**
 * Ninety days of past visits for the demo clinic, so its analytics are not empty (docs/analytics.md):
 * each demo doctor's weekdays 09:00–17:00 (lunch 13:00–14:00) in 15-minute slots, about two in three
 * booked — most completed (with their queue times and, for paid doctors, the charge), some no-shows,
 * some cancelled after booking (refunded) — and a review on some completed visits. Written in a few
 * set-based statements from a fixed random seed, so every fresh demo has the same history; skipped
 * once the clinic has any visit before today.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, localDateOf } from "@clinic/shared";

export const DEMO_HISTORY_DAYS = 90;

export async function seedDemoHistory(tx: EntityManager, clinicId: string, timeZone: string): Promise<number> {
  const today = localDateOf(new Date(), timeZone);
  const [past] = await tx.execute<{ n: number }[]>(
    `select count(*)::int as n from appointment where clinic_id = ? and starts_at < (?::date::timestamp at time zone ?)`,
    [clinicId, today, timeZone],
  );
  if ((past?.n ?? 0) > 0) return 0;
  await tx.execute(`select setseed(0.4242)`);
  // One row per past slot, with the draws that decide its fate.
  await tx.execute(
    `create temp table demo_history on commit drop as
     select gen_random_uuid() as slot_id, gen_random_uuid() as appointment_id, d.id as doctor_id, d.consultation_fee_minor as fee,
            day::date as day, (day::date + slots.t) at time zone ? as starts_at,
            random() as fate, random() as lead, random() as who, random() as wait, random() as length, random() as rating
       from doctor d
       join doctor_clinic dc on dc.doctor_id = d.id and dc.clinic_id = ?
      cross join generate_series(?::date, ?::date, interval '1 day') as day
      cross join lateral (select interval '9 hours' + k * interval '15 minutes' as t from generate_series(0, 31) as k) as slots
      where extract(isodow from day) < 6 and not (slots.t >= interval '13 hours' and slots.t < interval '14 hours')
      order by d.id, day, slots.t`,
    [timeZone, clinicId, addDays(today, -DEMO_HISTORY_DAYS), addDays(today, -1)],
  );
  // fate < 0.35: never booked; < 0.40: booked then cancelled; < 0.445: a no-show; else completed.
  await tx.execute(
    `insert into slot (id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, kind, tags, overbooked, version, created_at, updated_at)
     select h.slot_id, h.doctor_id, ?, (select id from clinic_service where clinic_id = ? and name = 'Consultation'), h.starts_at, h.starts_at + interval '15 minutes',
            case when h.fate < 0.40 then 'expired' else 'booked' end, 'regular', '{}', false, 1, h.starts_at - interval '30 days', now()
       from demo_history h`,
    [clinicId, clinicId],
  );
  const [{ n: visits } = { n: 0 }] = await tx.execute<{ n: number }[]>(
    `with patients as (select p.id, row_number() over (order by p.full_name, p.id) - 1 as i, count(*) over () as n
                         from patient p join user_account u on u.id = p.user_id where u.email like '%@demo.clinic'),
     written as (
       insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, status_reason, payment_status,
                                fee_minor, currency, scheduled_at, version, created_at, updated_at)
       select h.appointment_id, h.slot_id, p.id, h.doctor_id, ?, (select id from clinic_service where clinic_id = ? and name = 'Consultation'),
              h.starts_at, h.starts_at + interval '15 minutes',
              case when h.fate < 0.40 then 'cancelled' when h.fate < 0.445 then 'no_show' else 'completed' end,
              case when h.fate < 0.40 then 'Patient cancelled' end,
              case when h.fee = 0 then 'not_required' when h.fate < 0.40 then 'refunded' else 'paid' end,
              h.fee, 'GBP', h.starts_at - make_interval(days => 1 + floor(h.lead * 13)::int), 2,
              h.starts_at - make_interval(days => 1 + floor(h.lead * 13)::int), now()
         from demo_history h join patients p on p.i = floor(h.who * p.n)
        where h.fate >= 0.35
       returning 1)
     select count(*)::int as n from written`,
    [clinicId, clinicId],
  );
  // What paid visits paid, and the cancelled ones' refunds.
  await tx.execute(
    `insert into payment_transaction (appointment_id, kind, cause, amount_minor, currency, created_at)
     select h.appointment_id, 'charge', 'booking', h.fee, 'GBP', h.starts_at - make_interval(days => 1 + floor(h.lead * 13)::int)
       from demo_history h where h.fate >= 0.35 and h.fee > 0`,
  );
  await tx.execute(
    `insert into payment_transaction (appointment_id, kind, cause, amount_minor, currency, charge_id, created_at)
     select c.appointment_id, 'refund', 'policy', c.amount_minor, c.currency, c.id, c.created_at + interval '1 day'
       from payment_transaction c join demo_history h on h.appointment_id = c.appointment_id
      where c.kind = 'charge' and h.fate < 0.40`,
  );
  // Completed visits went through the queue: arrived up to 15 minutes early, called up to 20 late, 8–22 minutes in the room.
  await tx.execute(
    `insert into queue_entry (id, clinic_id, doctor_id, patient_id, appointment_id, kind, service_day, ticket, status,
                              arrived_at, called_at, started_at, finished_at, version, created_at, updated_at)
     select gen_random_uuid(), ?, h.doctor_id, a.patient_id, a.id, 'appointment', h.day,
            'A-' || lpad((row_number() over (partition by h.day order by h.starts_at, h.doctor_id))::text, 3, '0'), 'done',
            h.starts_at - make_interval(secs => floor(h.wait * 900)::int), h.starts_at + make_interval(secs => floor(h.wait * 1200)::int),
            h.starts_at + make_interval(secs => floor(h.wait * 1200)::int + 60),
            h.starts_at + make_interval(secs => floor(h.wait * 1200)::int + 60 + 480 + floor(h.length * 840)::int), 1, now(), now()
       from demo_history h join appointment a on a.id = h.appointment_id
      where h.fate >= 0.445`,
    [clinicId],
  );
  await tx.execute(
    `insert into review (id, appointment_id, doctor_id, patient_id, clinic_id, stars, text, created_at, updated_at)
     select gen_random_uuid(), a.id, a.doctor_id, a.patient_id, a.clinic_id, 3 + floor(h.rating * 15)::int % 3, '', a.ends_at + interval '1 day', now()
       from demo_history h join appointment a on a.id = h.appointment_id
      where h.fate >= 0.445 and h.rating < 0.2`,
  );
  return visits;
}
