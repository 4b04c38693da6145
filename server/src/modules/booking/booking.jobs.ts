import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { BookingService, HOLD_EXPIRY_JOB } from "./booking.service";

export interface HoldExpiryData {
  appointmentId: string;
}

/**
 * The booking module's background jobs. `hold-expiry` (queue "booking", jobId `hold-{appointmentId}`)
 * expires a pending hold whose time passed and frees its slot; it re-checks state, so a retry, a
 * duplicate or a hold already confirmed, cancelled or taken over is a no-op.
 */
export function bookingJobs(ctx: ModuleContext): JobDefinition<never>[] {
  let service: BookingService | undefined;
  const holdExpiry: JobDefinition<HoldExpiryData> = {
    queue: "booking",
    name: HOLD_EXPIRY_JOB,
    async process(data) {
      service ??= new BookingService(ctx);
      return { outcome: await service.expireHold(data.appointmentId) };
    },
  };
  return [holdExpiry as unknown as JobDefinition<never>];
}
