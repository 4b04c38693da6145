import { defineEntity, p } from "@mikro-orm/core";
import { Appointment } from "../booking";
import { Doctor, Patient } from "../directory";

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

export const checkoutPurposes = ["booking", "move"] as const;

/**
 * The Checkout Session of a paid hold: one per appointment (the idempotency key makes it so at Stripe
 * too). The webhook accepts a payment only for this session id, amount and currency.
 */
export const CheckoutSessionSchema = defineEntity({
  name: "CheckoutSession",
  tableName: "checkout_session",
  properties: {
    appointment: () => p.oneToOne(Appointment).owner().primary().deleteRule("cascade"),
    sessionId: p.string().length(255).unique(),
    url: p.text(),
    amountMinor: p.integer(),
    currency: p.string().length(3),
    /** `booking`: the hold's price; `move`: the difference a paid visit's move costs (docs/payments.md). */
    purpose: p.enum(checkoutPurposes).default("booking"),
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
/** Why money moved: a charge pays a `booking` or a move's `top_up`; the rest are refunds. */
export const paymentTransactionCauses = ["booking", "top_up", "policy", "staff", "provider", "slot_taken", "reschedule", "move_lapsed"] as const;

/**
 * Money that moved at Stripe for a visit: charges (one per Checkout Session) and refunds (one per
 * Stripe refund, each naming the charge it returns). Keyed by the appointment the money pays for
 * now: a reschedule re-points them (docs/payments.md "Money follows the visit").
 */
export const PaymentTransactionSchema = defineEntity({
  name: "PaymentTransaction",
  tableName: "payment_transaction",
  indexes: [
    { properties: ["appointment"] },
    { name: "payment_transaction_charge_id_index", properties: ["charge"], where: "charge_id IS NOT NULL" },
    { name: "payment_transaction_charge_by_intent", properties: ["providerRef"], where: "kind = 'charge'" },
  ],
  uniques: [
    { name: "payment_transaction_charge_per_session", properties: ["sessionId"], where: "kind = 'charge'" },
    { name: "payment_transaction_refund_once", properties: ["providerRef"], where: "kind = 'refund' AND provider_ref IS NOT NULL" },
  ],
  checks: [{ name: "payment_transaction_refund_names_charge", expression: "(kind = 'refund') = (charge_id IS NOT NULL)" }],
  properties: {
    id: p.uuid().primary().defaultRaw("gen_random_uuid()"),
    appointment: () => p.manyToOne(Appointment).deleteRule("restrict"),
    kind: p.enum(paymentTransactionKinds),
    cause: p.enum(paymentTransactionCauses),
    amountMinor: p.integer(),
    currency: p.string().length(3),
    /** The PaymentIntent (charge) or Refund id at Stripe. */
    providerRef: p.string().length(255).nullable(),
    sessionId: p.string().length(255).nullable(),
    /** A refund's charge: the PaymentIntent it returns money from. */
    charge: () => p.manyToOne(PaymentTransaction).nullable().deleteRule("restrict"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class PaymentTransaction extends PaymentTransactionSchema.class {}
PaymentTransactionSchema.setClass(PaymentTransaction);

export const walletEntryKinds = ["credit", "debit", "payout"] as const;

/**
 * The doctor's wallet: append-only; the balance is the sum of credits minus debits and payouts.
 * A credit happens once per charge and a debit once per refund; a visit moved to another doctor
 * moves its share with a debit and a credit that name no transaction.
 */
export const WalletEntrySchema = defineEntity({
  name: "WalletEntry",
  tableName: "wallet_entry",
  indexes: [{ properties: ["doctor", "createdAt"] }, { name: "wallet_entry_appointment_id_index", properties: ["appointment"], where: "appointment_id IS NOT NULL" }],
  uniques: [{ name: "wallet_entry_once_per_transaction", properties: ["kind", "transaction"], where: "transaction_id IS NOT NULL" }],
  checks: [{ name: "wallet_entry_amount_positive", expression: "amount_minor > 0" }],
  properties: {
    id: p.uuid().primary().defaultRaw("gen_random_uuid()"),
    doctor: () => p.manyToOne(Doctor).deleteRule("restrict"),
    kind: p.enum(walletEntryKinds),
    amountMinor: p.integer(),
    currency: p.string().length(3),
    appointment: () => p.manyToOne(Appointment).nullable().deleteRule("restrict"),
    /** The charge (credit) or refund (debit) this entry is the doctor's share of. */
    transaction: () => p.manyToOne(PaymentTransaction).nullable().deleteRule("restrict"),
    /** A payout's reference (bank transfer id …). */
    reference: p.text().nullable(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class WalletEntry extends WalletEntrySchema.class {}
WalletEntrySchema.setClass(WalletEntry);
