import { Migration } from '@mikro-orm/migrations';

export class Migration20261122080250_payments extends Migration {

  override name = 'Migration20261122080250_payments';

  override up(): void | Promise<void> {
    this.addSql(`create table "payment_event" ("id" varchar(255) not null, "type" varchar(100) not null, "outcome" varchar(40) not null, "received_at" timestamptz not null default now(), primary key ("id"));`);

    this.addSql(`create table "stripe_customer" ("patient_id" uuid not null, "customer_id" varchar(255) not null, "created_at" timestamptz not null default now(), primary key ("patient_id"));`);
    this.addSql(`alter table "stripe_customer" add constraint "stripe_customer_customer_id_unique" unique ("customer_id");`);

    this.addSql(`create table "payment_transaction" ("id" uuid not null default gen_random_uuid(), "appointment_id" uuid not null, "kind" text not null, "amount_minor" int not null, "currency" varchar(3) not null, "provider_ref" varchar(255) null, "session_id" varchar(255) null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "payment_transaction" add constraint "payment_transaction_once_per_appointment" unique ("appointment_id", "kind");`);

    this.addSql(`create table "checkout_session" ("appointment_id" uuid not null, "session_id" varchar(255) not null, "url" text not null, "amount_minor" int not null, "currency" varchar(3) not null, "created_at" timestamptz not null default now(), primary key ("appointment_id"));`);
    this.addSql(`alter table "checkout_session" add constraint "checkout_session_session_id_unique" unique ("session_id");`);

    this.addSql(`create table "wallet_entry" ("id" uuid not null default gen_random_uuid(), "doctor_id" uuid not null, "kind" text not null, "amount_minor" int not null, "currency" varchar(3) not null, "appointment_id" uuid null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "wallet_entry_doctor_id_created_at_index" on "wallet_entry" ("doctor_id", "created_at");`);
    this.addSql(`create unique index "wallet_entry_once_per_appointment" on "wallet_entry" ("kind", "appointment_id") where kind <> 'payout';`);

    this.addSql(`alter table "stripe_customer" add constraint "stripe_customer_patient_id_foreign" foreign key ("patient_id") references "patient" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "payment_transaction" add constraint "payment_transaction_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on delete restrict;`);
    this.addSql(`alter table "payment_transaction" add constraint "payment_transaction_kind_check" check ("kind" in ('charge', 'refund'));`);

    this.addSql(`alter table "checkout_session" add constraint "checkout_session_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "wallet_entry" add constraint "wallet_entry_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete restrict;`);
    this.addSql(`alter table "wallet_entry" add constraint "wallet_entry_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on delete restrict;`);
    this.addSql(`alter table "wallet_entry" add constraint "wallet_entry_amount_positive" check (amount_minor > 0);`);
    this.addSql(`alter table "wallet_entry" add constraint "wallet_entry_kind_check" check ("kind" in ('credit', 'debit', 'payout'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "payment_event" cascade;`);
    this.addSql(`drop table if exists "stripe_customer" cascade;`);
    this.addSql(`drop table if exists "payment_transaction" cascade;`);
    this.addSql(`drop table if exists "checkout_session" cascade;`);
    this.addSql(`drop table if exists "wallet_entry" cascade;`);
  }

}
