/**
 * Loyalty points (docs/loyalty.md): the append-only `loyalty_points_entry` ledger.
 * - award: when an appointment becomes `completed`, by whichever writer, `loyalty-award` (queue
 *   "booking", jobId `loyalty-{appointmentId}`) adds the clinic's `loyaltyPointsPerVisit`.
 * - redeem: a hold with `redeemPoints` spends the clinic's `loyaltyPointsPerFreeBooking`, in the hold's
 *   transaction, under a per-patient row lock so racing redemptions cannot overspend.
 * - return: releasing such a booking's place (hold released or expired, cancelled before the clinic's
 *   cutoff, judged at the time of the release) gives the points back: a subscriber to the
 *   appointment events that carry the status the appointment left.
 * The unique (appointment, kind) makes each happen once per appointment.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { clinicSettingsSchema, type ClinicSettings } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { conflict, forbidden, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import type { DomainEvent } from "@clinic/shared";
import type { Subscriber } from "../../platform/outbox";
import { snapshotOf, type AppointmentChange, type AppointmentRow, type Snapshot } from "../booking";

const SYSTEM: AuditActor = { userId: null, role: "system", ip: null, userAgent: null, requestId: null };

export const LOYALTY_AWARD_JOB = "loyalty-award";
export const loyaltyJobId = (appointmentId: string) => `loyalty-${appointmentId}`;

export interface LoyaltyAwardData {
  appointmentId: string;
}

/** After commit: one award job per appointment that is now completed (a duplicate id is ignored by BullMQ). */
export async function queueLoyaltyAwards(ctx: Pick<ModuleContext, "queues">, snapshot: Snapshot): Promise<void> {
  const completed = snapshot.appointments.filter((change) => change.status === "completed");
  if (completed.length === 0) return;
  await ctx.queues.get("booking").addBulk(
    completed.map((change) => ({
      name: LOYALTY_AWARD_JOB,
      data: { appointmentId: change.appointmentId } satisfies LoyaltyAwardData,
      opts: { jobId: loyaltyJobId(change.appointmentId) },
    })),
  );
}

export type AwardOutcome = { outcome: "awarded"; points: number } | { outcome: "already_awarded" | "no_points" | "not_completed" };

/** The job: re-reads the appointment and the clinic's rate, then writes the award once. */
export async function awardLoyaltyPoints(em: EntityManager, appointmentId: string): Promise<AwardOutcome> {
  return em.transactional(async (tx) => {
    const [row] = await tx.execute<{ status: string; patient_id: string; clinic_id: string; settings: unknown }[]>(
      `select a.status, a.patient_id, a.clinic_id, c.settings from appointment a join clinic c on c.id = a.clinic_id where a.id = ?`,
      [appointmentId],
    );
    if (!row || row.status !== "completed") return { outcome: "not_completed" as const };
    const points = clinicSettingsSchema.parse(row.settings ?? {}).loyaltyPointsPerVisit;
    if (points === 0) return { outcome: "no_points" as const };
    const inserted = await tx.execute<{ id: string }[]>(
      `insert into loyalty_points_entry (id, patient_id, clinic_id, appointment_id, kind, points, created_at)
       values (gen_random_uuid(), ?, ?, ?, 'award', ?, now())
       on conflict (appointment_id, kind) do nothing returning id`,
      [row.patient_id, row.clinic_id, appointmentId, points],
    );
    if (inserted.length === 0) return { outcome: "already_awarded" as const };
    recordAudit(tx, SYSTEM, {
      action: "booking.loyalty.award",
      entityType: "LoyaltyPointsEntry",
      entityId: inserted[0]!.id,
      clinicId: row.clinic_id,
      after: { appointmentId, patientId: row.patient_id, points },
    });
    await tx.flush();
    return { outcome: "awarded" as const, points };
  });
}

/** The points a hold request spends (0: it does not ask). Only the patient spends their own points. */
export function redemptionCost(settings: ClinicSettings, requested: boolean | undefined, forSelf: boolean): number {
  if (!requested) return 0;
  if (!forSelf) throw forbidden("Only the patient spends their own loyalty points", { field: "body.redeemPoints" });
  if (settings.loyaltyPointsPerFreeBooking === 0) {
    throw unprocessable("LOYALTY_REDEMPTION_OFF", { field: "body.redeemPoints" });
  }
  return settings.loyaltyPointsPerFreeBooking;
}

/** The balance: always the sum of the ledger. */
export async function loyaltyBalance(em: EntityManager, patientId: string): Promise<number> {
  const [row] = await em.execute<{ balance: number }[]>(
    `select coalesce(sum(points), 0)::int as balance from loyalty_points_entry where patient_id = ?`,
    [patientId],
  );
  return row?.balance ?? 0;
}

/**
 * Inside the hold's transaction, after the appointment row exists: the patient's row lock serializes
 * redemptions (a racing one waits, then reads the committed balance); the ledger trigger is the last guard.
 */
export async function redeemLoyaltyPoints(tx: EntityManager, actor: AuditActor, row: AppointmentRow, points: number): Promise<void> {
  // `no key update`, not `update`: the appointment insert already holds the patient row's key-share
  // lock (its foreign key), and upgrading that from two transactions at once would deadlock.
  await tx.execute(`select id from patient where id = ? for no key update`, [row.patient_id]);
  const balance = await loyaltyBalance(tx, row.patient_id);
  if (balance < points) {
    throw conflict("INSUFFICIENT_POINTS", `A free booking here takes ${points} points; the balance is ${balance}`, {
      field: "body.redeemPoints",
      balance,
      needed: points,
    });
  }
  const [entry] = await tx.execute<{ id: string }[]>(
    `insert into loyalty_points_entry (id, patient_id, clinic_id, appointment_id, kind, points, created_at)
     values (gen_random_uuid(), ?, ?, ?, 'redeem', ?, now()) returning id`,
    [row.patient_id, row.clinic_id, row.id, -points],
  );
  recordAudit(tx, actor, {
    action: "booking.loyalty.redeem",
    entityType: "LoyaltyPointsEntry",
    entityId: entry!.id,
    clinicId: row.clinic_id,
    after: { appointmentId: row.id, patientId: row.patient_id, points: -points },
  });
}

/**
 * After a place was released (an appointment change that carries `previousStatus`). A rescheduled
 * visit keeps its redemption (found through `rescheduled_from`); a released or lapsed hold, or a
 * cancellation before the clinic's cutoff at the time of the release, returns it; a later
 * cancellation keeps it spent (a no-show never releases the place, so it keeps it spent too).
 */
export async function returnRedeemedPoints(
  tx: EntityManager,
  released: { id: string; previousStatus: string; startsAt: Date; clinicId: string; at: Date },
  cause: string,
): Promise<void> {
  if (cause === "rescheduled") return;
  const [redeem] = await tx.execute<{ appointment_id: string; points: number; settings: unknown }[]>(
    `with recursive chain(id, prev) as (
       select id, rescheduled_from from appointment where id = ?
       union all select a.id, a.rescheduled_from from appointment a join chain c on a.id = c.prev)
     select e.appointment_id, e.points, c.settings from loyalty_points_entry e join clinic c on c.id = e.clinic_id
      where e.kind = 'redeem' and e.appointment_id in (select id from chain)`,
    [released.id],
  );
  if (!redeem) return;
  if (released.previousStatus !== "pending") {
    const { patientCancelCutoffHours } = clinicSettingsSchema.parse(redeem.settings ?? {});
    if (released.startsAt.getTime() - patientCancelCutoffHours * 3_600_000 <= released.at.getTime()) return;
  }
  const inserted = await tx.execute<{ id: string }[]>(
    `insert into loyalty_points_entry (id, patient_id, clinic_id, appointment_id, kind, points, created_at)
     select gen_random_uuid(), patient_id, clinic_id, appointment_id, 'return', -points, now() from loyalty_points_entry
      where appointment_id = ? and kind = 'redeem'
     on conflict (appointment_id, kind) do nothing returning id`,
    [redeem.appointment_id],
  );
  if (inserted.length === 0) return;
  recordAudit(tx, SYSTEM, {
    action: "booking.loyalty.return",
    entityType: "LoyaltyPointsEntry",
    entityId: inserted[0]!.id,
    clinicId: released.clinicId,
    after: { appointmentId: redeem.appointment_id, releasedAppointmentId: released.id, cause, points: -redeem.points },
  });
}

/** Awards for completed visits, returns for released places: loyalty's reading of the booking changes. */
export function loyaltyOnBookingChanges(ctx: ModuleContext): Subscriber {
  return {
    name: "loyalty",
    wants: (name) => name.startsWith("appointment."),
    async handle(events: DomainEvent[]) {
      await queueLoyaltyAwards(ctx, snapshotOf(events));
      const released = events.filter((event) => {
        const change = event.data as AppointmentChange;
        return change.previousStatus !== undefined && (change.status === "cancelled" || change.status === "expired");
      });
      if (released.length === 0) return;
      await (ctx.orm.em.fork() as EntityManager).transactional(async (tx) => {
        for (const event of released) {
          const change = event.data as AppointmentChange;
          await returnRedeemedPoints(
            tx,
            { id: change.appointmentId, previousStatus: change.previousStatus!, startsAt: new Date(change.start), clinicId: change.clinicId, at: new Date(event.occurredAt) },
            change.cause,
          );
        }
        await tx.flush();
      });
    },
  };
}
