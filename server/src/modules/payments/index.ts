/** Payments: Stripe Checkout bound to the hold, the webhook, refunds, money that follows the visit, the doctor's wallet (docs/payments.md). */
import type { Module } from "../../platform/module";
import { bookingChangesSubscriber } from "../booking";
import { expireEndedCheckouts } from "./checkout";
import { CheckoutSessionSchema, PaymentEventSchema, PaymentTransactionSchema, StripeCustomerSchema, WalletEntrySchema } from "./payments.entity";
import { checkoutPort, visitMoneyPort } from "./payments.ports";
import { paymentRoutes } from "./payments.routes";
import { refundCancelledByPolicy } from "./refunds";

export const paymentsModule: Module = {
  name: "payments",
  entities: () => [StripeCustomerSchema, CheckoutSessionSchema, PaymentEventSchema, PaymentTransactionSchema, WalletEntrySchema],
  routes: (ctx) => paymentRoutes(ctx),
  provide: (ctx) => ({ visitMoney: visitMoneyPort(ctx), checkout: checkoutPort(ctx) }),
  subscribers: (ctx) => [
    // A hold that ended unpaid can no longer be paid; a cancelled paid visit is refunded by the clinic's policy.
    bookingChangesSubscriber("checkout-expiry", (snapshot) => expireEndedCheckouts(ctx, snapshot)),
    bookingChangesSubscriber("policy-refunds", (snapshot) => refundCancelledByPolicy(ctx, snapshot)),
  ],
};

// What other modules may use.
export { moveDoctorShare } from "./ledger";
