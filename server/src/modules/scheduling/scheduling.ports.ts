/**
 * What scheduling needs from modules built on it (platform/module.ts `Ports`), provided by them:
 * cancelling the appointments on slots a leave or a closure released, in the same transaction as
 * the block (booking provides it). Scheduling imports no module above it.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { AuditActor } from "../../platform/audit";

export interface LeaveCancellations {
  /** Cancels the live appointments on these slots in `tx` (their events are recorded with it). */
  cancelOnReleasedSlots(tx: EntityManager, actor: AuditActor, input: { slotIds: string[]; reason: string; kind: string }): Promise<{ cancelledAppointmentIds: string[] }>;
}

declare module "../../platform/module" {
  interface Ports {
    leaveCancellations: LeaveCancellations;
  }
}
