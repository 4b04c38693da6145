import { defineEntity, p } from "@mikro-orm/core";
import { Appointment } from "../booking/appointment.entity";
import { Doctor } from "../directory/doctor.entity";
import { Patient } from "../directory/patient.entity";

/** A patient's Stripe customer, created once and reused for every checkout. */
export const StripeCustomerSchema = defineEntity({
  name: "StripeCustomer",
  tableName: "stripe_customer",
  properties: {
    patient: () => p.oneToOne(Patient).owner().primary().deleteRule("cascade"),
    customerId: p.string().length(255).unique(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class StripeCustomer extends StripeCustomerSchema.class {}
StripeCustomerSchema.setClass(StripeCustomer);

/** The Checkout Session of a paid hold: one per appointment (the idempotency key makes it so at Stripe too). */
export const CheckoutSessionSchema = defineEntity({
  name: "CheckoutSession",
  tableName: "checkout_session",
  properties: {
    appointment: () => p.oneToOne(Appointment).owner().primary().deleteRule("cascade"),
    sessionId: p.string().length(255).unique(),
    url: p.text(),
    amountMinor: p.integer(),
    currency: p.string().length(3),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class CheckoutSession extends CheckoutSessionSchema.class {}
CheckoutSessionSchema.setClass(CheckoutSession);

/** Every webhook event id handled, once: a replay finds its id here and does nothing. */
export const PaymentEventSchema = defineEntity({
  name: "PaymentEvent",
  tableName: "payment_event",
  properties: {
    id: p.string().length(255).primary(),
    type: p.string().length(100),
    /** What handling it did (booked, refunded, cancelled, ignored …), for support. */
    outcome: p.string().length(40),
    receivedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class PaymentEvent extends PaymentEventSchema.class {}
PaymentEventSchema.setClass(PaymentEvent);

export const paymentTransactionKinds = ["charge", "refund"] as const;

/** Money that moved at Stripe for an appointment: one charge, at most one refund. */
export const PaymentTransactionSchema = defineEntity({
  name: "PaymentTransaction",
  tableName: "payment_transaction",
  uniques: [{ name: "payment_transaction_once_per_appointment", properties: ["appointment", "kind"] }],
  properties: {
    id: p.uuid().primary().defaultRaw("gen_random_uuid()"),
    appointment: () => p.manyToOne(Appointment).deleteRule("restrict"),
    kind: p.enum(paymentTransactionKinds),
    amountMinor: p.integer(),
    currency: p.string().length(3),
    /** The PaymentIntent (charge) or Refund id at Stripe. */
    providerRef: p.string().length(255).nullable(),
    sessionId: p.string().length(255).nullable(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class PaymentTransaction extends PaymentTransactionSchema.class {}
PaymentTransactionSchema.setClass(PaymentTransaction);

export const walletEntryKinds = ["credit", "debit", "payout"] as const;

/**
 * The doctor's wallet: append-only; the balance is the sum of credits minus debits and payouts.
 * A credit (and a debit) happens once per appointment.
 */
export const WalletEntrySchema = defineEntity({
  name: "WalletEntry",
  tableName: "wallet_entry",
  indexes: [{ properties: ["doctor", "createdAt"] }],
  uniques: [{ name: "wallet_entry_once_per_appointment", properties: ["kind", "appointment"], where: "kind <> 'payout'" }],
  checks: [{ name: "wallet_entry_amount_positive", expression: "amount_minor > 0" }],
  properties: {
    id: p.uuid().primary().defaultRaw("gen_random_uuid()"),
    doctor: () => p.manyToOne(Doctor).deleteRule("restrict"),
    kind: p.enum(walletEntryKinds),
    amountMinor: p.integer(),
    currency: p.string().length(3),
    appointment: () => p.manyToOne(Appointment).nullable().deleteRule("restrict"),
    /** A payout's reference (bank transfer id …). */
    reference: p.text().nullable(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class WalletEntry extends WalletEntrySchema.class {}
WalletEntrySchema.setClass(WalletEntry);
