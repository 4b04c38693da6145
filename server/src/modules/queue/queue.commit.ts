/**
 * What a committed queue change does afterwards: queue events (staff topics and the display feed),
 * the booking consequences of its appointment changes, and ETA recomputation for the doctors touched.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { Changes, type Snapshot } from "../booking/appointment.store";
import { afterBookingCommit } from "../booking/booking.after-commit";
import { queueEtaRecompute } from "./eta.trigger";
import { publishQueueChanges, type QueueChange } from "./queue.realtime";
import { entryView, type EntryRow } from "./queue.store";

/** What one committed queue transaction changed: queue entries, and booking rows (appointments, slots). */
export class QueueChanges {
  readonly entries: QueueChange[] = [];
  readonly booking = new Changes();
  /** Doctors whose ETAs must be recomputed. */
  readonly doctors = new Map<string, { clinicId: string; doctorId: string }>();

  entry(row: EntryRow, cause: string, extraDoctorIds: string[] = []) {
    this.entries.push({ entry: entryView(row), cause, alsoDoctorIds: extraDoctorIds });
    for (const doctorId of [row.doctor_id, ...extraDoctorIds]) {
      if (doctorId) this.doctors.set(`${row.clinic_id}-${doctorId}`, { clinicId: row.clinic_id, doctorId });
    }
    return this;
  }

  /** Call inside the transaction (after the writes): reads the booking rows as they will commit. */
  async seal(tx: EntityManager): Promise<SealedQueueChanges> {
    const booking = this.booking.appointments.size + this.booking.slots.size > 0 ? await this.booking.snapshot(tx) : null;
    return { entries: this.entries, booking, doctors: [...this.doctors.values()] };
  }
}

export interface SealedQueueChanges {
  entries: QueueChange[];
  booking: Snapshot | null;
  doctors: { clinicId: string; doctorId: string }[];
}

/**
 * After commit: queue events (staff topics and the display feed), the booking consequences of the
 * appointment changes (their events, loyalty on completion …), and ETA recomputation for the
 * doctors touched. Never throws: the change is committed; clients resync on a seq gap.
 */
export async function afterQueueCommit(ctx: ModuleContext, sealed: SealedQueueChanges): Promise<void> {
  try {
    await publishQueueChanges(ctx, sealed.entries);
  } catch (error) {
    ctx.log.warn({ err: error }, "publishing queue changes failed");
  }
  if (sealed.booking) {
    try {
      await afterBookingCommit(ctx, sealed.booking);
    } catch (error) {
      ctx.log.warn({ err: error }, "after-commit work for a queue change's appointment failed");
    }
  }
  if (sealed.doctors.length > 0) await queueEtaRecompute(ctx, sealed.doctors);
}

