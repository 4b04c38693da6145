import { Migration } from '@mikro-orm/migrations';

export class Migration20261122044326_waitlist extends Migration {

  override name = 'Migration20261122044326_waitlist';

  override up(): void | Promise<void> {
    this.addSql(`create table "waitlist_entry" ("id" uuid not null, "patient_id" uuid not null, "doctor_id" uuid not null, "clinic_id" uuid not null, "service_id" uuid null, "date_from" date not null, "date_to" date not null, "window_start" varchar(5) null, "window_end" varchar(5) null, "priority" int not null default 0, "status" text not null default 'waiting', "created_by_id" uuid null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "waitlist_entry_doctor_id_status_index" on "waitlist_entry" ("doctor_id", "status");`);
    this.addSql(`create index "waitlist_entry_clinic_id_status_index" on "waitlist_entry" ("clinic_id", "status");`);
    this.addSql(`create index "waitlist_entry_patient_id_created_at_index" on "waitlist_entry" ("patient_id", "created_at");`);

    this.addSql(`create table "waitlist_offer" ("id" uuid not null, "entry_id" uuid not null, "slot_id" uuid not null, "appointment_id" uuid not null, "status" text not null default 'offered', "expires_at" timestamptz not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "waitlist_offer_status_expires_at_index" on "waitlist_offer" ("status", "expires_at");`);
    this.addSql(`create index "waitlist_offer_appointment_id_index" on "waitlist_offer" ("appointment_id");`);
    this.addSql(`alter table "waitlist_offer" add constraint "waitlist_offer_entry_slot" unique ("entry_id", "slot_id");`);
    this.addSql(`create unique index "waitlist_offer_one_open_per_entry" on "waitlist_offer" ("entry_id") where status = 'offered'::text;`);
    this.addSql(`create unique index "waitlist_offer_one_open_per_slot" on "waitlist_offer" ("slot_id") where status = 'offered'::text;`);

    this.addSql(`alter table "waitlist_entry" add constraint "waitlist_entry_patient_id_foreign" foreign key ("patient_id") references "patient" ("id") on delete cascade;`);
    this.addSql(`alter table "waitlist_entry" add constraint "waitlist_entry_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "waitlist_entry" add constraint "waitlist_entry_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "waitlist_entry" add constraint "waitlist_entry_service_id_foreign" foreign key ("service_id") references "clinic_service" ("id") on delete set null;`);
    this.addSql(`alter table "waitlist_entry" add constraint "waitlist_entry_created_by_id_foreign" foreign key ("created_by_id") references "user_account" ("id") on delete set null;`);
    this.addSql(`alter table "waitlist_entry" add constraint "waitlist_entry_range" check (date_to >= date_from);`);
    this.addSql(`alter table "waitlist_entry" add constraint "waitlist_entry_window" check (((window_start IS NULL) AND (window_end IS NULL)) OR ((window_start)::text < (window_end)::text));`);
    this.addSql(`alter table "waitlist_entry" add constraint "waitlist_entry_status_check" check ("status" in ('waiting', 'offered', 'booked', 'left'));`);

    this.addSql(`alter table "waitlist_offer" add constraint "waitlist_offer_entry_id_foreign" foreign key ("entry_id") references "waitlist_entry" ("id") on delete cascade;`);
    this.addSql(`alter table "waitlist_offer" add constraint "waitlist_offer_slot_id_foreign" foreign key ("slot_id") references "slot" ("id") on delete cascade;`);
    this.addSql(`alter table "waitlist_offer" add constraint "waitlist_offer_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on delete cascade;`);
    this.addSql(`alter table "waitlist_offer" add constraint "waitlist_offer_status_check" check ("status" in ('offered', 'accepted', 'declined', 'expired'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "waitlist_offer" drop constraint "waitlist_offer_entry_id_foreign";`);

    this.addSql(`drop table if exists "waitlist_entry" cascade;`);
    this.addSql(`drop table if exists "waitlist_offer" cascade;`);
  }

}
