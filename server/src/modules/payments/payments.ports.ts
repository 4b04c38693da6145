/**
 * What payments provides booking (`Ports.visitMoney`, `Ports.checkout`; declared by booking): the
 * money side of a paid visit's move, and the Checkout URL of a hold that asks to pay.
 */
import type { VisitMoney, Checkout } from "../booking";
import type { ModuleContext } from "../../platform/module";
import { unavailable } from "../../platform/errors";
import { withCheckout } from "./checkout";
import { moveVisitMoney, settleRefundedStatus, visitMoney } from "./ledger";
import { refundVisit } from "./refunds";
import { stripeFor } from "./stripe";

export function visitMoneyPort(ctx: ModuleContext): VisitMoney {
  return {
    isPaid: async (tx, appointmentId) => (await visitMoney(tx, appointmentId)).chargedMinor > 0,
    move: moveVisitMoney,
    async refundDifference(tx, appointmentId, amountMinor) {
      const stripe = stripeFor(ctx.config);
      if (!stripe) throw unavailable("PAYMENT_PROVIDER_UNAVAILABLE", "No payment provider is configured to refund the difference");
      const made = await refundVisit(tx, stripe, appointmentId, amountMinor, "reschedule");
      // A move to a time that costs nothing returns everything.
      if ((await visitMoney(tx, appointmentId)).netMinor === 0) await settleRefundedStatus(tx, appointmentId);
      return made.outbox;
    },
  };
}

export const checkoutPort = (ctx: ModuleContext): Checkout => ({ withUrl: (body, request) => withCheckout(ctx, body, request) });
