import { Migration } from '@mikro-orm/migrations';

export class Migration20261122024645_booking extends Migration {

  override name = 'Migration20261122024645_booking';

  override up(): void | Promise<void> {
    this.addSql(`create table "idempotency_record" ("user_id" uuid not null, "key" varchar(128) not null, "route" varchar(128) not null, "request_hash" varchar(64) not null, "response_status" int not null, "response_body" jsonb not null, "created_at" timestamptz not null default now(), primary key ("user_id", "key"));`);

    this.addSql(`create table "appointment" ("id" uuid not null, "slot_id" uuid not null, "patient_id" uuid not null, "doctor_id" uuid not null, "clinic_id" uuid not null, "service_id" uuid null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "status" text not null default 'pending', "hold_expires_at" timestamptz null, "payment_status" text not null default 'not_required', "fee_minor" int not null default 0, "transaction_fee_minor" int not null default 0, "currency" varchar(3) not null default 'GBP', "booked_by_id" uuid null, "status_reason" text null, "status_changed_by_id" uuid null, "rescheduled_from" uuid null, "version" int not null default 1, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "appointment_patient_id_created_at_index" on "appointment" ("patient_id", "created_at");`);
    this.addSql(`create index "appointment_doctor_id_starts_at_index" on "appointment" ("doctor_id", "starts_at");`);
    this.addSql(`create index "appointment_clinic_id_starts_at_index" on "appointment" ("clinic_id", "starts_at");`);
    this.addSql(`create unique index "appointment_one_live_per_slot" on "appointment" ("slot_id") where status <> ALL (ARRAY['cancelled'::text, 'expired'::text]);`);

    this.addSql(`alter table "appointment" add constraint "appointment_slot_id_foreign" foreign key ("slot_id") references "slot" ("id") on delete restrict;`);
    this.addSql(`alter table "appointment" add constraint "appointment_patient_id_foreign" foreign key ("patient_id") references "patient" ("id") on delete cascade;`);
    this.addSql(`alter table "appointment" add constraint "appointment_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "appointment" add constraint "appointment_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "appointment" add constraint "appointment_service_id_foreign" foreign key ("service_id") references "clinic_service" ("id") on delete set null;`);
    this.addSql(`alter table "appointment" add constraint "appointment_booked_by_id_foreign" foreign key ("booked_by_id") references "user_account" ("id") on delete set null;`);
    this.addSql(`alter table "appointment" add constraint "appointment_status_changed_by_id_foreign" foreign key ("status_changed_by_id") references "user_account" ("id") on delete set null;`);
    this.addSql(`alter table "appointment" add constraint "appointment_status_check" check ("status" in ('pending', 'scheduled', 'checked_in', 'in_consultation', 'completed', 'cancelled', 'no_show', 'expired'));`);
    this.addSql(`alter table "appointment" add constraint "appointment_payment_status_check" check ("payment_status" in ('not_required', 'unpaid', 'paid', 'refunded', 'failed'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "idempotency_record" cascade;`);
    this.addSql(`drop table if exists "appointment" cascade;`);
  }

}
