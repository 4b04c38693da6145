/**
 * What booking needs from modules built on top of it, declared here and provided by them
 * (platform/module.ts `Ports`): spending loyalty points on a hold, a paid visit's money when it
 * moves, and a paid hold's Checkout URL. Booking imports none of those modules.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { ClinicSettings } from "@clinic/shared";
import type { AuditActor } from "../../platform/audit";
import type { AppointmentRow } from "./appointment.views";

/** Loyalty points a booking may spend (the loyalty module, docs/loyalty.md). */
export interface LoyaltyPoints {
  /** The points a free booking costs at this clinic, when the patient asks to spend theirs on their own booking (0: none). */
  cost(settings: ClinicSettings, redeem: boolean | undefined, forThemself: boolean): number;
  /** Spends them on the hold, in its transaction (409 when the balance is short). */
  redeem(tx: EntityManager, actor: AuditActor, hold: AppointmentRow, points: number): Promise<void>;
}

/** A paid visit's money when it moves (the payments module, docs/payments.md "Money follows the visit"). */
export interface VisitMoney {
  /** Whether anything was charged for the visit. */
  isPaid(tx: EntityManager, appointmentId: string): Promise<boolean>;
  /** Its charges, refunds and the doctor's share now belong to `to`, which takes its payment status; `from` is `moved`. */
  move(tx: EntityManager, from: Pick<AppointmentRow, "id" | "doctor_id" | "payment_status">, to: Pick<AppointmentRow, "id" | "doctor_id">): Promise<void>;
  /** Refunds `amountMinor` of a cheaper move at once (503 without a provider); the notice's outbox ids. */
  refundDifference(tx: EntityManager, appointmentId: string, amountMinor: number): Promise<string[]>;
}

/** A paid hold's Checkout URL (the payments module). */
export interface Checkout {
  /** The reply with `checkoutUrl` set when it asks to pay and the provider answered; unchanged otherwise. */
  withUrl<T extends { id: string; next?: string | null | undefined; checkoutUrl?: string | null }>(
    body: T,
    request: { log: Pick<Logger, "warn">; protocol: string; host: string },
  ): Promise<T>;
}

declare module "../../platform/module" {
  interface Ports {
    points: LoyaltyPoints;
    visitMoney: VisitMoney;
    checkout: Checkout;
  }
}
