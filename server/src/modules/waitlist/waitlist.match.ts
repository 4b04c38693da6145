/**
 * Offering a free slot to the waitlist (docs/waitlist.md). The slot is taken exactly as a booking
 * takes it: redlock admission on `slot:{id}`, then in one transaction the conditional update at the
 * version read (lapsed holds taken over) and a pending appointment behind the partial unique index.
 * The entry is picked `for update skip locked`, so two matches never pick one entry; the offer's
 * unique indexes are the last guard (one open offer per entry and per slot, each slot once per entry).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { SubscriptionTier } from "@clinic/shared";
import { createLocks, type Locks } from "../../platform/locks";
import type { ModuleContext } from "../../platform/module";
import { DomainError } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { dispatchMessages, notify } from "../notifications";
import { checkBookingCandidate, isFree, readSlot, type SlotRow } from "../scheduling";
import { Changes, insertAppointment, liveAppointmentHoldSql, liveAppointmentSql, mapDatabaseError, pgArray, admitSlot, takeSlot, paymentOf, priceBooking } from "../booking";
import { recordWaitlistEvents } from "./waitlist.realtime";
import { OFFER_SELECT, offerView, sweepEndedOffers, type OfferRow } from "./waitlist.store";

export const SYSTEM_ACTOR: AuditActor = { userId: null, role: "system", ip: null, userAgent: null, requestId: null };
/** Entries a booking rule turns away are skipped; after this many the slot waits for the next event. */
const MAX_CANDIDATES = 20;

export type MatchOutcome = "offered" | "nobody" | "not_free" | "taken";

interface Candidate {
  id: string;
  patient_id: string;
  patient_user_id: string;
  service_id: string | null;
  subscription_tier: SubscriptionTier;
  relation: boolean;
  active: number;
  doctor_fee: number | null;
  time_zone: string;
  doctor_name: string;
}

/**
 * The first waiting entry in offer order that this slot suits: same doctor and clinic, compatible
 * service, the slot's local date in the range and the slot inside the daily window, a tier that may
 * book this doctor, never offered this slot and with no live offer. Locked, skipping locked ones.
 */
const CANDIDATE_SQL = `
  select e.id, e.patient_id, p.user_id as patient_user_id, e.service_id, p.subscription_tier, c.time_zone, d.display_name as doctor_name,
         exists(select 1 from doctor_patient dp where dp.doctor_id = e.doctor_id and dp.patient_id = p.id) as relation,
         d.consultation_fee_minor as doctor_fee,
         (select count(*)::int from appointment a where a.patient_id = p.id and a.starts_at > now()
            and ${liveAppointmentSql("a")}) as active
    from waitlist_entry e
    join patient p on p.id = e.patient_id
    join clinic c on c.id = e.clinic_id
    join doctor d on d.id = e.doctor_id
   where e.status = 'waiting' and e.doctor_id = ? and e.clinic_id = ?
     and (e.service_id is null or ?::uuid is null or e.service_id = ?::uuid)
     and (?::timestamptz at time zone c.time_zone)::date between e.date_from and e.date_to
     and (e.window_start is null or (
           (?::timestamptz at time zone c.time_zone)::time >= e.window_start::time
       and (?::timestamptz at time zone c.time_zone) <= (?::timestamptz at time zone c.time_zone)::date + e.window_end::time))
     and p.subscription_tier <> 'none'
     and (p.subscription_tier <> 'vise' or exists(select 1 from doctor_patient dp where dp.doctor_id = e.doctor_id and dp.patient_id = p.id))
     and not exists (select 1 from waitlist_offer o where o.entry_id = e.id and o.slot_id = ?)
     and not exists (select 1 from waitlist_offer o join appointment a on a.id = o.appointment_id
                      where o.entry_id = e.id and o.status = 'offered' and ${liveAppointmentHoldSql("a")})
     and e.id <> all(?::uuid[])
   order by e.priority desc, e.created_at, e.id
   limit 1
   for update of e skip locked`;

/** "Tue 3 Mar 2026, 09:30" in the clinic's zone. */
export function displayTime(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(instant);
}

/**
 * Closes every open offer whose hold ended (`sweepEndedOffers`), with its audit and its
 * `waitlist.*` events: the match job's first step, and the offer sweep's whole work.
 */
export async function closeEndedOffers(tx: EntityManager): Promise<number> {
  const closed = await sweepEndedOffers(tx);
  if (closed.length === 0) return 0;
  for (const event of closed) {
    recordAudit(tx, SYSTEM_ACTOR, { action: `waitlist.offer.${event.offer.status}`, entityType: "WaitlistOffer", entityId: event.offer.id, after: event.offer });
  }
  await tx.flush();
  await recordWaitlistEvents(tx, closed);
  return closed.length;
}

type Result = { outcome: Exclude<MatchOutcome, "offered"> } | { outcome: "offered"; outbox: string[] };

export class WaitlistMatcher {
  private readonly locks: Locks;

  constructor(private readonly ctx: ModuleContext) {
    this.locks = createLocks(ctx.redis, ctx.config.redis.prefix);
  }

  /**
   * The `waitlist-match` job: closes ended offers, then offers the slot if it is free and in the
   * future. SLOT_BUSY (someone is booking it right now) is thrown so the queue retries later.
   */
  async match(slotId: string): Promise<MatchOutcome> {
    const lock = await admitSlot(this.locks, this.ctx.log, slotId);
    let result: Result;
    try {
      result = await (this.ctx.orm.em.fork() as EntityManager).transactional((tx) => this.offer(tx, slotId)).catch(mapDatabaseError);
    } catch (error) {
      // The slot changed between the read and the conditional update: its new state queues its own match.
      if (error instanceof DomainError && error.code === "SLOT_TAKEN") return "taken";
      throw error;
    } finally {
      if (lock) await this.locks.release(lock).catch(() => undefined);
    }
    if (result.outcome === "offered") await dispatchMessages(this.ctx, result.outbox);
    return result.outcome;
  }

  private async offer(tx: EntityManager, slotId: string): Promise<Result> {
    await closeEndedOffers(tx);
    const slot = await readSlot(tx, slotId);
    if (!slot || slot.kind !== "regular" || !isFree(slot) || new Date(slot.starts_at).getTime() <= Date.now()) return { outcome: "not_free" };
    const skipped: string[] = [];
    for (let i = 0; i < MAX_CANDIDATES; i++) {
      const start = new Date(slot.starts_at);
      const end = new Date(slot.ends_at);
      const [entry] = await tx.execute<Candidate[]>(CANDIDATE_SQL, [
        slot.doctor_id, slot.clinic_id, slot.service_id, slot.service_id, start, start, end, start, slot.id, pgArray(skipped),
      ]);
      if (!entry) break;
      const serviceId = entry.service_id ?? slot.service_id;
      const violations = await checkBookingCandidate(tx, slot.clinic_id, { slotId: slot.id, doctorId: slot.doctor_id, serviceId, start, end }, { patientActiveBookings: entry.active });
      if (violations.length) {
        skipped.push(entry.id);
        continue;
      }
      return this.hold(tx, slot, entry, serviceId);
    }
    return { outcome: "nobody" };
  }

  /** Holds the slot for the entry's patient as a booking hold does, and records the offer. */
  private async hold(tx: EntityManager, slot: SlotRow, entry: Candidate, serviceId: string | null) {
    const [service] = serviceId
      ? await tx.execute<{ price_minor: number; currency: string; payment_required: boolean }[]>(
          `select price_minor, currency, payment_required from clinic_service where id = ? and clinic_id = ? and active`,
          [serviceId, slot.clinic_id],
        )
      : [];
    const pricing = priceBooking({
      tier: entry.subscription_tier,
      hasDoctorRelation: entry.relation,
      service: service ? { priceMinor: service.price_minor, currency: service.currency, paymentRequired: service.payment_required } : null,
      doctorFeeMinor: entry.doctor_fee ?? 0,
    });
    const expiresAt = new Date(Date.now() + this.ctx.config.booking.waitlistOfferSeconds * 1000);
    const changes = new Changes();
    await takeSlot(tx, changes, slot.id, "pending", expiresAt);
    const appointment = await insertAppointment(tx, {
      slotId: slot.id, elasticAllocationId: null, patientId: entry.patient_id, doctorId: slot.doctor_id, clinicId: slot.clinic_id,
      serviceId: service ? serviceId : null, start: new Date(slot.starts_at), end: new Date(slot.ends_at), status: "pending", holdExpiresAt: expiresAt,
      payment: paymentOf(pricing),
      bookedById: null, rescheduledFrom: null,
    });
    changes.appointment(appointment.id, "created");
    const [inserted] = await tx.execute<{ id: string }[]>(
      `insert into waitlist_offer (id, entry_id, slot_id, appointment_id, status, expires_at, created_at, updated_at)
       values (gen_random_uuid(), ?, ?, ?, 'offered', ?, now(), now()) returning id`,
      [entry.id, slot.id, appointment.id, expiresAt],
    );
    await tx.execute(`update waitlist_entry set status = 'offered', updated_at = now() where id = ?`, [entry.id]);
    const [row] = await tx.execute<OfferRow[]>(`${OFFER_SELECT} where o.id = ?`, [inserted!.id]);
    const offer = offerView(row!);
    const outbox = await notify(tx, {
      userId: entry.patient_user_id,
      template: "waitlist.offered",
      clinicId: slot.clinic_id,
      key: `waitlist-offer-${offer.id}`,
      payload: {
        offerId: offer.id,
        doctor: entry.doctor_name,
        when: displayTime(new Date(slot.starts_at), entry.time_zone),
        until: displayTime(expiresAt, entry.time_zone),
      },
    });
    recordAudit(tx, SYSTEM_ACTOR, { action: "waitlist.offer.create", entityType: "WaitlistOffer", entityId: offer.id, clinicId: slot.clinic_id, after: offer });
    await tx.flush();
    await changes.record(tx);
    await recordWaitlistEvents(tx, [{ patientUserId: entry.patient_user_id, type: "waitlist.offered", offer }]);
    return { outcome: "offered" as const, outbox };
  }
}
