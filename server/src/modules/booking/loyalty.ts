/**
 * The loyalty hook (docs/booking.md, "Loyalty hook"): when an appointment becomes `completed`, by
 * whichever writer, `loyalty-award` (queue "booking", jobId `loyalty-{appointmentId}`) adds the
 * clinic's `loyaltyPointsPerVisit` to the append-only `loyalty_points_entry` ledger. The unique
 * (appointment, kind) makes the award happen once however often the job runs. Balances, history and
 * redemption belong to payments (#9).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { clinicSettingsSchema } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { recordAudit } from "../audit/audit.service";
import type { Snapshot } from "./appointment.store";

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
    recordAudit(tx, { userId: null, role: "system", ip: null, userAgent: null, requestId: null }, {
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
