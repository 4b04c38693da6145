import { Migration } from '@mikro-orm/migrations';

export class Migration20261122021715_scheduling extends Migration {

  override name = 'Migration20261122021715_scheduling';

  override up(): void | Promise<void> {
    this.addSql(`create table "schedule_template" ("id" uuid not null, "clinic_id" uuid not null, "name" varchar(255) not null, "span" text not null, "entries" jsonb not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "schedule_template" add constraint "schedule_template_clinic_id_name_unique" unique ("clinic_id", "name");`);

    this.addSql(`create table "unavailability" ("id" uuid not null, "doctor_id" uuid null, "clinic_id" uuid null, "kind" text not null, "starts_at" timestamptz not null, "ends_at" timestamptz null, "reason" text null, "created_by_id" uuid null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "unavailability_doctor_id_starts_at_index" on "unavailability" ("doctor_id", "starts_at");`);
    this.addSql(`create index "unavailability_clinic_id_starts_at_index" on "unavailability" ("clinic_id", "starts_at");`);

    this.addSql(`create table "overbooking_policy" ("id" uuid not null, "clinic_id" uuid not null, "doctor_id" uuid null, "service_id" uuid null, "cap_per_day" int not null, "allowed_by_id" uuid null, "reason" text not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "overbooking_policy_clinic_id_index" on "overbooking_policy" ("clinic_id");`);

    this.addSql(`create table "elastic_block" ("id" uuid not null, "doctor_id" uuid not null, "clinic_id" uuid not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "capacity_minutes" int not null, "note" text null, "version" int not null default 1, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "elastic_block_doctor_id_starts_at_index" on "elastic_block" ("doctor_id", "starts_at");`);

    this.addSql(`create table "elastic_allocation" ("id" uuid not null, "block_id" uuid not null, "service_id" uuid null, "patient_id" uuid null, "duration_minutes" int not null, "position" int not null, "expected_start_at" timestamptz not null, "status" text not null default 'proposed', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "elastic_allocation_block_id_index" on "elastic_allocation" ("block_id");`);

    this.addSql(`create table "booking_rule" ("id" uuid not null, "clinic_id" uuid not null, "doctor_id" uuid null, "service_id" uuid null, "spec" jsonb not null, "active" boolean not null default true, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "booking_rule_clinic_id_index" on "booking_rule" ("clinic_id");`);

    this.addSql(`create table "availability_rule" ("id" uuid not null, "doctor_id" uuid not null, "clinic_id" uuid not null, "service_id" uuid null, "kind" text not null default 'regular', "recurrence" jsonb not null, "valid_from" date not null, "valid_until" date null, "start_time" varchar(5) not null, "end_time" varchar(5) not null, "breaks" jsonb not null default '[]', "slot_minutes" int not null, "buffer_minutes" int not null default 0, "tags" text[] not null default '{}', "note" text null, "colour" varchar(7) null, "active" boolean not null default true, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "availability_rule_doctor_id_clinic_id_index" on "availability_rule" ("doctor_id", "clinic_id");`);

    this.addSql(`create table "slot" ("id" uuid not null, "doctor_id" uuid not null, "clinic_id" uuid not null, "rule_id" uuid null, "service_id" uuid null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "period" tstzrange generated always as (tstzrange(starts_at, ends_at, '[)')) stored null, "status" text not null default 'available', "kind" text not null default 'regular', "tags" text[] not null default '{}', "note" text null, "hold_expires_at" timestamptz null, "overbooked" boolean not null default false, "overbooked_by_id" uuid null, "overbook_reason" text null, "version" int not null default 1, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "slot_doctor_id_starts_at_index" on "slot" ("doctor_id", "starts_at");`);
    this.addSql(`create index "slot_clinic_id_starts_at_index" on "slot" ("clinic_id", "starts_at");`);
    this.addSql(`create index "slot_rule_id_index" on "slot" ("rule_id");`);
    this.addSql(`create index "slot_status_starts_at_index" on "slot" ("status", "starts_at");`);

    this.addSql(`alter table "doctor" add "max_hours_per_week" int null;`);

    this.addSql(`alter table "schedule_template" add constraint "schedule_template_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "schedule_template" add constraint "schedule_template_span_check" check ("span" in ('day', 'week'));`);

    this.addSql(`alter table "unavailability" add constraint "unavailability_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "unavailability" add constraint "unavailability_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "unavailability" add constraint "unavailability_created_by_id_foreign" foreign key ("created_by_id") references "user_account" ("id") on delete set null;`);
    this.addSql(`alter table "unavailability" add constraint "unavailability_has_scope" check (doctor_id is not null or clinic_id is not null);`);
    this.addSql(`alter table "unavailability" add constraint "unavailability_kind_check" check ("kind" in ('vacation', 'conference', 'surgery', 'emergency_leave', 'holiday', 'closure'));`);

    this.addSql(`alter table "overbooking_policy" add constraint "overbooking_policy_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "overbooking_policy" add constraint "overbooking_policy_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "overbooking_policy" add constraint "overbooking_policy_service_id_foreign" foreign key ("service_id") references "clinic_service" ("id") on delete cascade;`);
    this.addSql(`alter table "overbooking_policy" add constraint "overbooking_policy_allowed_by_id_foreign" foreign key ("allowed_by_id") references "user_account" ("id") on delete set null;`);

    this.addSql(`alter table "elastic_block" add constraint "elastic_block_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "elastic_block" add constraint "elastic_block_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);

    this.addSql(`alter table "elastic_allocation" add constraint "elastic_allocation_block_id_foreign" foreign key ("block_id") references "elastic_block" ("id") on delete cascade;`);
    this.addSql(`alter table "elastic_allocation" add constraint "elastic_allocation_service_id_foreign" foreign key ("service_id") references "clinic_service" ("id") on delete set null;`);
    this.addSql(`alter table "elastic_allocation" add constraint "elastic_allocation_patient_id_foreign" foreign key ("patient_id") references "patient" ("id") on delete set null;`);
    this.addSql(`alter table "elastic_allocation" add constraint "elastic_allocation_status_check" check ("status" in ('proposed', 'confirmed', 'freed'));`);

    this.addSql(`alter table "booking_rule" add constraint "booking_rule_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "booking_rule" add constraint "booking_rule_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "booking_rule" add constraint "booking_rule_service_id_foreign" foreign key ("service_id") references "clinic_service" ("id") on delete cascade;`);

    this.addSql(`alter table "availability_rule" add constraint "availability_rule_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "availability_rule" add constraint "availability_rule_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "availability_rule" add constraint "availability_rule_service_id_foreign" foreign key ("service_id") references "clinic_service" ("id") on delete set null;`);
    this.addSql(`alter table "availability_rule" add constraint "availability_rule_kind_check" check ("kind" in ('regular', 'walk_in', 'emergency'));`);

    this.addSql(`alter table "slot" add constraint "slot_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "slot" add constraint "slot_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "slot" add constraint "slot_rule_id_foreign" foreign key ("rule_id") references "availability_rule" ("id") on delete set null;`);
    this.addSql(`alter table "slot" add constraint "slot_service_id_foreign" foreign key ("service_id") references "clinic_service" ("id") on delete set null;`);
    this.addSql(`alter table "slot" add constraint "slot_overbooked_by_id_foreign" foreign key ("overbooked_by_id") references "user_account" ("id") on delete set null;`);
    this.addSql(`alter table "slot" add constraint "slot_ends_after_start" check (ends_at > starts_at);`);
    // Written by hand (the entity metadata cannot express it): two live slots of one doctor may not
    // overlap, across clinics. Expired slots are history; overbooked ones are a recorded staff decision.
    this.addSql(`alter table "slot" add constraint "slot_no_overlap" exclude using gist ("doctor_id" with =, "period" with &&) where (status <> 'expired' and not overbooked);`);
    this.addSql(`alter table "slot" add constraint "slot_status_check" check ("status" in ('available', 'held', 'booked', 'blocked', 'expired'));`);
    this.addSql(`alter table "slot" add constraint "slot_kind_check" check ("kind" in ('regular', 'walk_in', 'emergency'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "elastic_allocation" drop constraint "elastic_allocation_block_id_foreign";`);
    this.addSql(`alter table "slot" drop constraint "slot_rule_id_foreign";`);

    this.addSql(`drop table if exists "schedule_template" cascade;`);
    this.addSql(`drop table if exists "unavailability" cascade;`);
    this.addSql(`drop table if exists "overbooking_policy" cascade;`);
    this.addSql(`drop table if exists "elastic_block" cascade;`);
    this.addSql(`drop table if exists "elastic_allocation" cascade;`);
    this.addSql(`drop table if exists "booking_rule" cascade;`);
    this.addSql(`drop table if exists "availability_rule" cascade;`);
    this.addSql(`drop table if exists "slot" cascade;`);

    this.addSql(`alter table "doctor" drop column "max_hours_per_week";`);
  }

}
