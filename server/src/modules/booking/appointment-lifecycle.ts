/**
 * The slot and appointment lifecycle (docs/booking.md, "Slot and appointment lifecycle"), run by the
 * repeatable `slot-lifecycle` job and once at each worker's start:
 * - every hold whose time is up expires exactly as the hold-expiry job expires it (slot and elastic
 *   holds, paid holds' payment windows, waitlist offers' holds): the database sweep that makes expiry
 *   independent of that delayed job surviving in Redis;
 * - an unbooked slot whose start has passed becomes `expired` (a free slot, or a held one whose hold
 *   lapsed);
 * - a `scheduled` appointment not checked in by its end plus the clinic's `noShowGraceMinutes` is
 *   flagged once as a probable no-show for staff, or with `autoMarkNoShow` set to `no_show`.
 * Every step is a conditional write re-checked under a row lock, so overlapping or repeated runs
 * change each row once and a second run finds nothing to do.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { clinicSettingsSchema } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { DomainError } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { recordEvents } from "../../platform/outbox";
import { lapsedSlotHoldSql, recordSlotChanges, slotChange, slotColumns, type SlotRow } from "../scheduling";
import { Changes, lockedAppointment, setAppointmentStatus } from "./appointment.store";
import { lapsedAppointmentHoldSql } from "./appointment.views";
import type { BookingService } from "./booking.service";

export const LIFECYCLE_JOB = "slot-lifecycle";
/** The staff-only event of a visit flagged as a probable no-show. */
export const PROBABLE_NO_SHOW_EVENT = "appointment.probable_no_show";
/** Rows per statement: a first run on an old database works through its backlog in batches. */
const BATCH = 500;
/** Lapsed holds expired per run at most (each is its own transaction); the rest wait for the next run. */
const MAX_HOLD_BATCHES = 10;
const SYSTEM: AuditActor = { userId: null, role: "system", ip: null, userAgent: null, requestId: null };
const DEFAULT_GRACE = clinicSettingsSchema.parse({}).noShowGraceMinutes;

export interface LifecycleReport {
  holdsExpired: number;
  slotsExpired: number;
  flagged: number;
  markedNoShow: number;
}

export async function runLifecycle(ctx: ModuleContext, booking: BookingService): Promise<LifecycleReport> {
  const holdsExpired = await expireLapsedHolds(ctx, booking);
  const slotsExpired = await expirePastSlots(ctx);
  const { flagged, markedNoShow } = await handleMissedVisits(ctx);
  return { holdsExpired, slotsExpired, flagged, markedNoShow };
}

const em = (ctx: ModuleContext) => ctx.orm.em.fork() as EntityManager;

/**
 * Every pending appointment whose hold lapsed, oldest first, expired by booking's own expiry (same
 * audit, events and publishing as the job). One that another transaction holds is skipped, not
 * waited for: a concurrent sweep or a confirm decides it, and each hold expires once.
 */
async function expireLapsedHolds(ctx: ModuleContext, booking: BookingService): Promise<number> {
  let expired = 0;
  for (let batch = 0; batch < MAX_HOLD_BATCHES; batch++) {
    const due = await em(ctx).execute<{ id: string }[]>(
      `select a.id from appointment a where ${lapsedAppointmentHoldSql("a")} order by a.hold_expires_at, a.id limit ?`,
      [BATCH],
    );
    let expiredNow = 0;
    for (const { id } of due) if ((await booking.expireHold(id, { skipLocked: true })) === "expired") expiredNow += 1;
    expired += expiredNow;
    // A short batch is the end; one where nothing expired is all held by others (next run).
    if (due.length < BATCH || expiredNow === 0) return expired;
  }
  return expired;
}

/**
 * Free slots that have started become `expired`; so do held ones whose hold lapsed with no pending
 * appointment behind them. Rows locked by an in-flight writer are skipped until the next run.
 */
async function expirePastSlots(ctx: ModuleContext): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await em(ctx).transactional(async (tx) => {
      const expired = await tx.execute<SlotRow[]>(
        `with due as (
           select s.id from slot s
            where s.starts_at <= now() and (s.status = 'available' or (${lapsedSlotHoldSql("s")}
              and not exists (select 1 from appointment a where a.slot_id = s.id and a.status = 'pending')))
            order by s.starts_at limit ? for update skip locked)
         update slot set status = 'expired', hold_expires_at = null, version = slot.version + 1, updated_at = now()
           from due where slot.id = due.id
         returning ${slotColumns("slot")}`,
        [BATCH],
      );
      await recordSlotChanges(tx, expired.map((row) => slotChange(row, "expired")).sort((a, b) => a.start.localeCompare(b.start)));
      return expired;
    });
    total += rows.length;
    if (rows.length < BATCH) return total;
  }
}

/** Scheduled visits whose end plus their clinic's grace has passed, not flagged yet. */
async function handleMissedVisits(ctx: ModuleContext): Promise<{ flagged: number; markedNoShow: number }> {
  const due = await em(ctx).execute<{ id: string }[]>(
    `select a.id from appointment a join clinic c on c.id = a.clinic_id
      where a.status = 'scheduled' and a.probable_no_show_at is null and a.ends_at <= now()
        and a.ends_at + make_interval(mins => coalesce((c.settings->>'noShowGraceMinutes')::int, ?)) <= now()
      order by a.ends_at limit ?`,
    [DEFAULT_GRACE, BATCH],
  );
  let flagged = 0;
  let markedNoShow = 0;
  for (const { id } of due) {
    const outcome = await handleMissedVisit(ctx, id);
    if (outcome === "flagged") flagged += 1;
    if (outcome === "no_show") markedNoShow += 1;
  }
  return { flagged, markedNoShow };
}

type MissedOutcome = "flagged" | "no_show" | "skipped";

async function handleMissedVisit(ctx: ModuleContext, id: string): Promise<MissedOutcome> {
  const changes = new Changes();
  return em(ctx).transactional(async (tx): Promise<MissedOutcome> => {
    const row = await lockedAppointment(tx, id).catch((error: unknown) => {
      if (error instanceof DomainError && error.status === 404) return null;
      throw error;
    });
    if (!row || row.status !== "scheduled") return "skipped";
    const [facts] = await tx.execute<{ probable_no_show_at: Date | null; settings: unknown }[]>(
      `select a.probable_no_show_at, c.settings from appointment a join clinic c on c.id = a.clinic_id where a.id = ?`,
      [id],
    );
    const settings = clinicSettingsSchema.parse(facts?.settings ?? {});
    const dueAt = new Date(row.ends_at).getTime() + settings.noShowGraceMinutes * 60_000;
    if (!facts || facts.probable_no_show_at !== null || dueAt > Date.now()) return "skipped";

    const [{ now }] = (await tx.execute<{ now: Date }[]>(`select now() as now`)) as [{ now: Date }];
    if (settings.autoMarkNoShow) {
      await setAppointmentStatus(tx, row, "no_show", null, "not checked in by the end of the visit");
      await tx.execute(`update appointment set probable_no_show_at = ? where id = ?`, [now, id]);
      changes.appointment(id, "status_changed");
    } else {
      await tx.execute(`update appointment set probable_no_show_at = ?, version = version + 1, updated_at = now() where id = ?`, [now, id]);
    }
    recordAudit(tx, SYSTEM, {
      action: settings.autoMarkNoShow ? "booking.appointment.auto-no-show" : "booking.appointment.probable-no-show",
      entityType: "Appointment",
      entityId: id,
      clinicId: row.clinic_id,
      before: { status: row.status },
      after: { status: settings.autoMarkNoShow ? "no_show" : row.status, probableNoShowAt: now },
    });
    await tx.flush();
    await changes.record(tx);
    // A staff-only flag (the visit is not settled until staff decide), carrying when it was flagged.
    if (!settings.autoMarkNoShow) {
      const [flagged] = (await new Changes().appointment(id, "probable_no_show").snapshot(tx)).appointments;
      await recordEvents(tx, [{ name: PROBABLE_NO_SHOW_EVENT, data: { ...flagged!, probableNoShowAt: new Date(now).toISOString() } }]);
    }
    return settings.autoMarkNoShow ? "no_show" : "flagged";
  });
}
