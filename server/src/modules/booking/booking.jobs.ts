/**
 * The booking module's background work. `hold-expiry` (queue "booking", jobId `hold-{appointmentId}`)
 * expires a pending hold whose time passed and frees its slot; it re-checks state, so a retry, a
 * duplicate or a hold already confirmed, cancelled or taken over is a no-op. The job is planned by a
 * subscriber to the appointment events, whoever wrote the hold (a booking, a move, a waitlist offer).
 */
import type { DomainEvent } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import type { JobDefinition } from "../../platform/queues";
import type { EntityManager } from "@mikro-orm/postgresql";
import { Changes } from "./appointment.store";
import type { AppointmentChange } from "./appointment.views";
import { BookingService } from "./booking.service";

export const HOLD_EXPIRY_JOB = "hold-expiry";

export interface HoldExpiryData {
  appointmentId: string;
}

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

/** Every pending hold gets its expiry job (jobId `hold-{appointmentId}`: planning twice is a no-op). */
export function holdExpiryPlanning(ctx: ModuleContext): Subscriber {
  return {
    name: "hold-expiry-planning",
    wants: (name) => name.startsWith("appointment."),
    async handle(events: DomainEvent[]) {
      const holds = events.map((event) => event.data as AppointmentChange).filter((change) => change.status === "pending" && change.holdExpiresAt);
      if (holds.length === 0) return;
      await ctx.queues.get("booking").addBulk(
        holds.map((hold) => ({
          name: HOLD_EXPIRY_JOB,
          data: { appointmentId: hold.appointmentId },
          opts: { jobId: `hold-${hold.appointmentId}`, delay: Math.max(0, Date.parse(hold.holdExpiresAt!) - Date.now()) },
        })),
      );
    },
  };
}

/**
 * An elastic block's change moved bookings (scheduling re-timed them): their new times go out as
 * `appointment.retimed`, recorded in a transaction of their own (read as they are now).
 */
export function retimedAppointments(ctx: ModuleContext): Subscriber {
  return {
    name: "retimed-appointments",
    wants: (name) => name === "block.bookings_retimed",
    async handle(events: DomainEvent[]) {
      const ids = events.flatMap((event) => (event.name === "block.bookings_retimed" ? event.data.appointmentIds : []));
      await (ctx.orm.em.fork() as EntityManager).transactional((tx) => new Changes().retimed(ids).record(tx));
    },
  };
}
