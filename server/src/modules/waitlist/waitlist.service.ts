/**
 * The waitlist's requests (docs/waitlist.md): join, list, leave, and answering an offer. Accepting
 * confirms the held appointment as booking's confirm does; declining or leaving cancels it and frees
 * the slot, whose after-commit step offers it to the next patient. Lock order: offer, entry,
 * appointment, slot (the match job's order too). Every write is one transaction with its audit.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  localDateOf,
  type AcceptWaitlistOfferReply,
  type JoinWaitlistRequest,
  type WaitlistEntryView,
  type WaitlistListQuery,
  type WaitlistOfferView,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { conflict, type DomainError, forbidden, invalid, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { authorize, can, type UserPrincipal } from "../identity";
import { Changes, bookPlace, lockedAppointment, mapDatabaseError, releasePlace, setAppointmentStatus, priceBooking, tellDoctorOfFreeBooking } from "../booking";
import { recordWaitlistEvents, type WaitlistEvent } from "./waitlist.realtime";
import { ENTRY_SELECT, KEPT, entryViews, offerView, readEntry, readOffer, type EntryRow, type OfferRow } from "./waitlist.store";

/** Longest range one entry may cover. */
const MAX_RANGE_DAYS = 366;
const DAY = 86_400_000;

const entryNotFound = () => notFound("Waitlist entry");
const offerNotFound = () => notFound("Waitlist offer");

/** The patient themself, the clinic's staff, the platform; others: 404 for patients (existence hidden), 403 for staff. */
function assertCanManage(principal: UserPrincipal, facts: { patient_id: string; clinic_id: string }, hide: () => DomainError): void {
  if (principal.patientId === facts.patient_id || can(principal, "clinic.waitlist.manage", { clinicId: facts.clinic_id })) return;
  if (principal.role === "patient") throw hide();
  throw forbidden("Not allowed on this waitlist entry");
}

export class WaitlistService {
  constructor(private readonly ctx: ModuleContext) {}

  private em(): EntityManager {
    return this.ctx.orm.em.fork() as unknown as EntityManager;
  }

  /** POST /waitlist: a waiting entry; 409 WAITLIST_DUPLICATE when the patient already waits for the doctor on overlapping dates. */
  async join(principal: UserPrincipal, actor: AuditActor, input: JoinWaitlistRequest): Promise<WaitlistEntryView> {
    const em = this.em();
    const [doctor] = await em.execute<{ id: string; clinic_ids: string[]; fee: number | null }[]>(
      `select d.id, array(select dc.clinic_id from doctor_clinic dc where dc.doctor_id = d.id order by dc.clinic_id)::text[] as clinic_ids,
              d.consultation_fee_minor as fee
         from doctor d join user_account u on u.id = d.user_id where d.id = ? and d.approval_status = 'approved' and u.status = 'active'`,
      [input.doctorId],
    );
    if (!doctor) throw notFound("Doctor", { errors: [{ field: "body.doctorId", message: "no such bookable doctor" }] });
    const clinicId = input.clinicId ?? (doctor.clinic_ids.length === 1 ? doctor.clinic_ids[0]! : undefined);
    if (!clinicId) throw invalid("body.clinicId", "the doctor works at several clinics: name one");
    if (!doctor.clinic_ids.includes(clinicId)) throw invalid("body.clinicId", "the doctor does not work at this clinic");
    const staff = can(principal, "clinic.waitlist.manage", { clinicId });
    const patientId = input.patientId ?? principal.patientId;
    if (!patientId) throw unprocessable("PATIENT_REQUIRED", "Name the patient to put on the waitlist", { field: "body.patientId" });
    if (patientId !== principal.patientId && !staff) throw forbidden("Only the clinic's staff add another patient");
    if (input.priority !== undefined && input.priority !== 0 && !staff) {
      throw forbidden("Only the clinic's staff set a priority", { field: "body.priority" });
    }
    const [clinic] = await em.execute<{ time_zone: string }[]>(`select time_zone from clinic where id = ?`, [clinicId]);
    const today = localDateOf(new Date(), clinic!.time_zone);
    if (input.to < today) throw invalid("body.to", "the range is in the past");
    if (Date.parse(input.to) - Date.parse(input.from) > MAX_RANGE_DAYS * DAY) throw invalid("body.to", `at most ${MAX_RANGE_DAYS} days`);
    if (input.serviceId) {
      const [service] = await em.execute(`select 1 from clinic_service where id = ? and clinic_id = ? and active`, [input.serviceId, clinicId]);
      if (!service) throw unprocessable("SERVICE_NOT_AT_CLINIC", { field: "body.serviceId" });
    }
    const [patient] = await em.execute<{ tier: string; relation: boolean }[]>(
      `select subscription_tier as tier, exists(select 1 from doctor_patient dp where dp.doctor_id = ? and dp.patient_id = p.id) as relation from patient p where p.id = ?`,
      [input.doctorId, patientId],
    );
    if (!patient) throw notFound("Patient", { field: "body.patientId" });
    // The same tier rules as booking: a patient who may not book this doctor is not offered its slots.
    priceBooking({ tier: patient.tier as never, hasDoctorRelation: patient.relation, service: null, doctorFeeMinor: doctor.fee ?? 0 });

    const row = await em
      .transactional(async (tx) => {
        // One patient's joins queue on this lock, so two concurrent duplicates cannot both pass the check.
        await tx.execute(`select pg_advisory_xact_lock(hashtext('waitlist:' || ?::text))`, [patientId]);
        const [duplicate] = await tx.execute<{ id: string }[]>(
          `select id from waitlist_entry where patient_id = ? and doctor_id = ? and status in ('waiting','offered') and date_from <= ? and date_to >= ?`,
          [patientId, input.doctorId, input.to, input.from],
        );
        if (duplicate) throw conflict("WAITLIST_DUPLICATE", { entryId: duplicate.id });
        const [created] = await tx.execute<{ id: string }[]>(
          `insert into waitlist_entry (id, patient_id, doctor_id, clinic_id, service_id, date_from, date_to, window_start, window_end, priority, status, created_by_id, created_at, updated_at)
           values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, now(), now()) returning id`,
          [patientId, input.doctorId, clinicId, input.serviceId ?? null, input.from, input.to, input.window?.start ?? null, input.window?.end ?? null, input.priority ?? 0, principal.userId],
        );
        const entry = (await readEntry(tx, created!.id))!;
        const [view] = await entryViews(tx, [entry]);
        recordAudit(tx, actor, { action: "waitlist.entry.join", entityType: "WaitlistEntry", entityId: entry.id, clinicId, after: view });
        await tx.flush();
        return view!;
      })
      .catch(mapDatabaseError);
    return row;
  }

  /** GET /waitlist: the patient's own (scope=mine), or a clinic's / doctor's for its staff and the doctor. */
  async list(principal: UserPrincipal, query: WaitlistListQuery): Promise<WaitlistEntryView[]> {
    const em = this.em();
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.scope === "mine") {
      if (!principal.patientId) throw forbidden("Only patients have their own waitlist entries");
      where.push(`e.patient_id = ?`);
      params.push(principal.patientId);
    } else {
      if (query.clinicId) {
        authorize(principal, "waitlist.read", { clinicId: query.clinicId, doctorId: query.doctorId });
        where.push(`e.clinic_id = ?`);
        params.push(query.clinicId);
      }
      if (query.doctorId) {
        where.push(`e.doctor_id = ?`);
        params.push(query.doctorId);
        if (!query.clinicId && principal.doctorId !== query.doctorId && principal.role !== "platform_admin") {
          // Staff see the doctor's entries at their own clinics only.
          const clinicIds = principal.memberships.map((m) => m.clinicId).filter((clinicId) => can(principal, "waitlist.read", { clinicId }));
          if (!clinicIds.length) throw forbidden("Not allowed: waitlist.read");
          where.push(`e.clinic_id = any(?::uuid[])`);
          params.push(`{${clinicIds.join(",")}}`);
        }
      }
    }
    const rows = await em.execute<EntryRow[]>(`select * from (${ENTRY_SELECT} where ${where.join(" and ")}) x order by priority desc, created_at, id limit 500`, params);
    return entryViews(em, query.status ? rows.filter((row) => row.status === query.status) : rows);
  }

  /** DELETE /waitlist/:id: leaves; a live offer is declined with it (its slot goes to the next patient). */
  async leave(principal: UserPrincipal, actor: AuditActor, id: string): Promise<WaitlistEntryView> {
    const current = await readEntry(this.em(), id);
    if (!current) throw entryNotFound();
    assertCanManage(principal, current, entryNotFound);
    const result = await this.em()
      .transactional(async (tx) => {
        const changes = new Changes();
        const events: WaitlistEvent[] = [];
        const [open] = await tx.execute<{ id: string }[]>(`select id from waitlist_offer where entry_id = ? and status = 'offered' for update`, [id]);
        const [entry] = await tx.execute<{ status: string }[]>(`select status from waitlist_entry where id = ? for update`, [id]);
        if (entry!.status === "left") return { view: (await entryViews(tx, [(await readEntry(tx, id))!]))[0]! };
        if (open) {
          const offer = (await readOffer(tx, open.id))!;
          events.push(await this.closeOffer(tx, actor, principal, offer, "declined", changes, "left the waitlist"));
        }
        await tx.execute(`update waitlist_entry set status = 'left', updated_at = now() where id = ?`, [id]);
        const [view] = await entryViews(tx, [(await readEntry(tx, id))!]);
        recordAudit(tx, actor, { action: "waitlist.entry.leave", entityType: "WaitlistEntry", entityId: id, clinicId: current.clinic_id, before: { status: entry!.status }, after: view });
        await tx.flush();
        await changes.record(tx);
        await recordWaitlistEvents(tx, events);
        return { view: view! };
      })
      .catch(mapDatabaseError);
    return result.view;
  }

  /**
   * POST /waitlist/offers/:id/accept: a free booking becomes scheduled (slot booked); a paid one stays
   * pending and the reply says `next: "pay"`. A lapsed hold is expired here and answered 409 OFFER_EXPIRED.
   */
  async accept(principal: UserPrincipal, actor: AuditActor, id: string): Promise<AcceptWaitlistOfferReply> {
    const result = await this.answer(principal, actor, id, async (tx, offer, changes) => {
      const appointment = await lockedAppointment(tx, offer.appointment_id);
      const paid = appointment.payment_status !== "not_required";
      if (!paid) {
        await setAppointmentStatus(tx, appointment, "scheduled", principal.userId, null);
        changes.appointment(appointment.id, "confirmed");
        await bookPlace(tx, appointment, changes);
        // Delivered by the outbox relay (this path has no dispatch of its own).
        await tellDoctorOfFreeBooking(tx, appointment);
      }
      await tx.execute(`update waitlist_offer set status = 'accepted', updated_at = now() where id = ?`, [offer.id]);
      await tx.execute(`update waitlist_entry set status = 'booked', updated_at = now() where id = ?`, [offer.entry_id]);
      const after = offerView({ ...offer, status: "accepted" });
      recordAudit(tx, actor, { action: "waitlist.offer.accept", entityType: "WaitlistOffer", entityId: offer.id, clinicId: offer.clinic_id, before: offerView(offer), after });
      return {
        event: { patientUserId: offer.patient_user_id, type: "waitlist.accepted" as const, offer: after },
        reply: { offer: after, appointmentId: appointment.id, appointmentStatus: paid ? "pending" : "scheduled", next: paid ? ("pay" as const) : null },
      };
    });
    return result;
  }

  /** POST /waitlist/offers/:id/decline: the hold is cancelled, the slot freed (and offered on), the entry waits again. */
  async decline(principal: UserPrincipal, actor: AuditActor, id: string): Promise<WaitlistOfferView> {
    return this.answer(principal, actor, id, async (tx, offer, changes) => {
      const event = await this.closeOffer(tx, actor, principal, offer, "declined", changes, "waitlist offer declined");
      return { event, reply: event.offer };
    });
  }

  /**
   * One answer to an open offer, in one transaction: the offer row is locked first, then its entry.
   * An offer already answered is 409 OFFER_CLOSED; one whose hold lapsed is closed as expired (its
   * appointment expired, the slot freed) and answered 409 OFFER_EXPIRED.
   */
  private async answer<T>(
    principal: UserPrincipal,
    actor: AuditActor,
    id: string,
    act: (tx: EntityManager, offer: OfferRow, changes: Changes) => Promise<{ event: WaitlistEvent; reply: T }>,
  ): Promise<T> {
    const current = await readOffer(this.em(), id);
    if (!current) throw offerNotFound();
    assertCanManage(principal, current, offerNotFound);
    const result = await this.em()
      .transactional(async (tx) => {
        const changes = new Changes();
        await tx.execute(`select id from waitlist_offer where id = ? for update`, [id]);
        await tx.execute(`select id from waitlist_entry where id = ? for update`, [current.entry_id]);
        const offer = (await readOffer(tx, id))!;
        const [raw] = await tx.execute<{ status: string }[]>(`select status from waitlist_offer where id = ?`, [id]);
        if (raw!.status !== "offered") return { closed: raw!.status };
        if (offer.status !== "offered") {
          // The hold ended outside the waitlist (lapsed, or kept through the appointment routes): record it.
          const event = await this.closeOffer(tx, actor, principal, offer, "expired", changes, "hold lapsed");
          await tx.flush();
          await changes.record(tx);
          await recordWaitlistEvents(tx, [event]);
          return { closed: event.offer.status };
        }
        const { event, reply } = await act(tx, offer, changes);
        await tx.flush();
        await changes.record(tx);
        await recordWaitlistEvents(tx, [event]);
        return { reply };
      })
      .catch(mapDatabaseError);
    if ("reply" in result) return result.reply as T;
    if (result.closed === "expired") throw conflict("OFFER_EXPIRED");
    throw conflict("OFFER_CLOSED", `The offer was already ${result.closed}`, { offerStatus: result.closed });
  }

  /**
   * Ends an open offer and moves its entry on. A pending appointment is cancelled (declined) or
   * expired and its slot freed; one already kept makes the offer accepted (entry booked); one that
   * ended otherwise makes it expired. The entry waits again unless the slot was kept.
   */
  private async closeOffer(
    tx: EntityManager,
    actor: AuditActor,
    principal: UserPrincipal,
    offer: OfferRow,
    to: "declined" | "expired",
    changes: Changes,
    reason: string,
  ): Promise<WaitlistEvent> {
    const appointment = await lockedAppointment(tx, offer.appointment_id);
    let final: "declined" | "expired" | "accepted" = to;
    if (appointment.status === "pending") {
      const status = to === "declined" ? "cancelled" : "expired";
      await setAppointmentStatus(tx, appointment, status, principal.userId, reason);
      changes.appointment(appointment.id, status);
      await releasePlace(tx, appointment, changes, to === "declined" ? "released" : "expired");
    } else {
      final = KEPT.includes(`'${appointment.status}'`) ? "accepted" : "expired";
    }
    await tx.execute(`update waitlist_offer set status = ?, updated_at = now() where id = ?`, [final, offer.id]);
    await tx.execute(`update waitlist_entry set status = ?, updated_at = now() where id = ? and status = 'offered'`, [final === "accepted" ? "booked" : "waiting", offer.entry_id]);
    const after = offerView({ ...offer, status: final });
    const verb = { declined: "decline", expired: "expire", accepted: "accept" }[final];
    recordAudit(tx, actor, { action: `waitlist.offer.${verb}`, entityType: "WaitlistOffer", entityId: offer.id, clinicId: offer.clinic_id, before: offerView(offer), after });
    return { patientUserId: offer.patient_user_id, type: `waitlist.${final}`, offer: after };
  }
}
