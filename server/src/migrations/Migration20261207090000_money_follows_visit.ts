import { Migration } from '@mikro-orm/migrations';

/**
 * Money follows the visit (docs/payments.md): several charges and refunds per appointment (a move's
 * difference, a cheaper move's refund, then a cancel's), each refund tied to the charge it returns;
 * wallet entries tied to the transaction that caused them; what a pending hold must pay; the paid
 * visit a pending move replaces; the Checkout Session's purpose; payment status `moved`.
 */
export class Migration20261207090000_money_follows_visit extends Migration {

  override name = 'Migration20261207090000_money_follows_visit';

  override up(): void | Promise<void> {
    // payment_transaction: refunds name their charge and every movement its cause.
    this.addSql(`alter table "payment_transaction" drop constraint "payment_transaction_once_per_appointment";`);
    this.addSql(`alter table "payment_transaction" add "charge_id" uuid null, add "cause" text null;`);
    this.addSql(`update "payment_transaction" r set "charge_id" = c."id" from "payment_transaction" c
      where r."kind" = 'refund' and c."kind" = 'charge' and c."appointment_id" = r."appointment_id";`);
    this.addSql(`update "payment_transaction" t set "cause" = case
        when t."kind" = 'charge' then 'booking'
        when exists (select 1 from "audit_event" e where e."entity_id" = t."appointment_id"::text and e."action" = 'payments.refund-staff') then 'staff'
        when exists (select 1 from "audit_event" e where e."entity_id" = t."appointment_id"::text and e."action" = 'payments.refund-late') then 'slot_taken'
        else 'policy' end;`);
    this.addSql(`alter table "payment_transaction" alter column "cause" set not null;`);
    this.addSql(`alter table "payment_transaction" add constraint "payment_transaction_cause_check" check ("cause" in ('booking', 'top_up', 'policy', 'staff', 'provider', 'slot_taken', 'reschedule', 'move_lapsed'));`);
    this.addSql(`alter table "payment_transaction" add constraint "payment_transaction_refund_names_charge" check (("kind" = 'refund') = ("charge_id" is not null));`);
    this.addSql(`alter table "payment_transaction" add constraint "payment_transaction_charge_id_foreign" foreign key ("charge_id") references "payment_transaction" ("id") on delete restrict;`);
    this.addSql(`create index "payment_transaction_appointment_id_index" on "payment_transaction" ("appointment_id");`);
    this.addSql(`create index "payment_transaction_charge_id_index" on "payment_transaction" ("charge_id") where "charge_id" is not null;`);
    this.addSql(`create unique index "payment_transaction_charge_per_session" on "payment_transaction" ("session_id") where "kind" = 'charge';`);
    this.addSql(`create unique index "payment_transaction_refund_once" on "payment_transaction" ("provider_ref") where "kind" = 'refund' and "provider_ref" is not null;`);
    this.addSql(`create index "payment_transaction_charge_by_intent" on "payment_transaction" ("provider_ref") where "kind" = 'charge';`);

    // wallet_entry: a credit per charge, a debit per refund (not per appointment any more).
    this.addSql(`drop index "wallet_entry_once_per_appointment";`);
    this.addSql(`alter table "wallet_entry" add "transaction_id" uuid null;`);
    this.addSql(`update "wallet_entry" w set "transaction_id" = t."id" from "payment_transaction" t
      where t."appointment_id" = w."appointment_id" and ((w."kind" = 'credit' and t."kind" = 'charge') or (w."kind" = 'debit' and t."kind" = 'refund'));`);
    this.addSql(`alter table "wallet_entry" add constraint "wallet_entry_transaction_id_foreign" foreign key ("transaction_id") references "payment_transaction" ("id") on delete restrict;`);
    this.addSql(`create unique index "wallet_entry_once_per_transaction" on "wallet_entry" ("kind", "transaction_id") where "transaction_id" is not null;`);
    this.addSql(`create index "wallet_entry_appointment_id_index" on "wallet_entry" ("appointment_id") where "appointment_id" is not null;`);

    this.addSql(`alter table "checkout_session" add "purpose" text not null default 'booking';`);
    this.addSql(`alter table "checkout_session" add constraint "checkout_session_purpose_check" check ("purpose" in ('booking', 'move'));`);

    this.addSql(`alter table "appointment" add "amount_due_minor" int not null default 0, add "pending_move_from" uuid null;`);
    this.addSql(`update "appointment" set "amount_due_minor" = "fee_minor" + "transaction_fee_minor" where "payment_status" = 'unpaid';`);
    this.addSql(`alter table "appointment" add constraint "appointment_pending_move_from_foreign" foreign key ("pending_move_from") references "appointment" ("id") on delete set null;`);
    this.addSql(`create index "appointment_pending_move_from_index" on "appointment" ("pending_move_from") where "pending_move_from" is not null;`);
    this.addSql(`alter table "appointment" drop constraint "appointment_payment_status_check";`);
    this.addSql(`alter table "appointment" add constraint "appointment_payment_status_check" check ("payment_status" in ('not_required', 'unpaid', 'paid', 'refunded', 'partially_refunded', 'failed', 'moved'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "appointment" drop constraint "appointment_payment_status_check";`);
    this.addSql(`alter table "appointment" add constraint "appointment_payment_status_check" check ("payment_status" in ('not_required', 'unpaid', 'paid', 'refunded', 'partially_refunded', 'failed'));`);
    this.addSql(`alter table "appointment" drop column "pending_move_from", drop column "amount_due_minor";`);
    this.addSql(`alter table "checkout_session" drop column "purpose";`);
    this.addSql(`alter table "wallet_entry" drop column "transaction_id";`);
    this.addSql(`create unique index "wallet_entry_once_per_appointment" on "wallet_entry" ("kind", "appointment_id") where kind <> 'payout';`);
    this.addSql(`drop index "payment_transaction_charge_per_session";`);
    this.addSql(`drop index "payment_transaction_refund_once";`);
    this.addSql(`drop index "payment_transaction_charge_by_intent";`);
    this.addSql(`drop index "payment_transaction_appointment_id_index";`);
    this.addSql(`alter table "payment_transaction" drop column "charge_id", drop column "cause";`);
    this.addSql(`alter table "payment_transaction" add constraint "payment_transaction_once_per_appointment" unique ("appointment_id", "kind");`);
  }

}
