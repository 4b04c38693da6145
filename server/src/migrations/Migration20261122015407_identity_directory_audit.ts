import { Migration } from '@mikro-orm/migrations';

export class Migration20261122015407_identity_directory_audit extends Migration {

  override name = 'Migration20261122015407_identity_directory_audit';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_event" ("id" bigserial primary key, "at" timestamptz not null default now(), "actor_id" uuid null, "actor_role" varchar(32) null, "action" varchar(64) not null, "entity_type" varchar(64) not null, "entity_id" varchar(64) null, "clinic_id" uuid null, "ip" varchar(64) null, "user_agent" varchar(512) null, "request_id" varchar(64) null, "before" jsonb null, "after" jsonb null);`);
    this.addSql(`create index "audit_event_entity_type_entity_id_index" on "audit_event" ("entity_type", "entity_id");`);
    this.addSql(`create index "audit_event_actor_id_index" on "audit_event" ("actor_id");`);
    this.addSql(`create index "audit_event_clinic_id_at_index" on "audit_event" ("clinic_id", "at");`);

    this.addSql(`create table "clinic_service" ("id" uuid not null, "clinic_id" uuid not null, "name" varchar(255) not null, "duration_minutes" int not null, "colour" varchar(7) not null, "price_minor" int not null default 0, "currency" varchar(3) not null default 'GBP', "payment_required" boolean not null default false, "active" boolean not null default true, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "clinic_service" add constraint "clinic_service_clinic_id_name_unique" unique ("clinic_id", "name");`);

    this.addSql(`create table "specialty" ("id" uuid not null, "name" citext not null, primary key ("id"));`);
    this.addSql(`alter table "specialty" add constraint "specialty_name_unique" unique ("name");`);

    this.addSql(`create table "totp_backup_code" ("id" uuid not null, "user_id" uuid not null, "code_hash" varchar(64) not null, "used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "totp_backup_code_user_id_index" on "totp_backup_code" ("user_id");`);

    this.addSql(`create table "patient" ("id" uuid not null, "user_id" uuid not null, "full_name" varchar(255) not null, "date_of_birth" date null, "phone" varchar(32) null, "email" varchar(255) null, "preferred_language" varchar(16) not null default 'en', "reminder_preferences" jsonb not null, "subscription_tier" text not null default 'none', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "patient" add constraint "patient_user_id_unique" unique ("user_id");`);

    this.addSql(`create table "notification_outbox" ("id" uuid not null, "user_id" uuid null, "channel" text not null, "recipient" varchar(255) not null, "template" varchar(64) not null, "payload" jsonb not null, "status" text not null default 'queued', "status_detail" text null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "notification_outbox_user_id_index" on "notification_outbox" ("user_id");`);
    this.addSql(`create index "notification_outbox_status_created_at_index" on "notification_outbox" ("status", "created_at");`);

    this.addSql(`create table "one_time_code" ("id" uuid not null, "user_id" uuid not null, "purpose" text not null, "code_hash" varchar(64) not null, "expires_at" timestamptz not null, "attempts" int not null default 0, "consumed_at" timestamptz null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "one_time_code_user_id_purpose_index" on "one_time_code" ("user_id", "purpose");`);

    this.addSql(`create table "doctor" ("id" uuid not null, "user_id" uuid not null, "display_name" varchar(255) not null, "bio" text null, "languages" text[] not null default '{}', "experience_years" int null, "consultation_fee_minor" int not null default 0, "currency" varchar(3) not null default 'GBP', "employment_type" text not null default 'full_time', "approval_status" text not null default 'pending', "approval_note" text null, "credentials" jsonb null, "rating_average" double precision not null default 0, "rating_count" int not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "doctor" add constraint "doctor_user_id_unique" unique ("user_id");`);

    this.addSql(`create table "doctor_patient" ("id" uuid not null, "doctor_id" uuid not null, "patient_id" uuid not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "doctor_patient_patient_id_index" on "doctor_patient" ("patient_id");`);
    this.addSql(`alter table "doctor_patient" add constraint "doctor_patient_doctor_id_patient_id_unique" unique ("doctor_id", "patient_id");`);

    this.addSql(`create table "doctor_specialty" ("doctor_id" uuid not null, "specialty_id" uuid not null, primary key ("doctor_id", "specialty_id"));`);

    this.addSql(`create table "doctor_clinic" ("doctor_id" uuid not null, "clinic_id" uuid not null, primary key ("doctor_id", "clinic_id"));`);

    this.addSql(`create table "clinic_membership" ("id" uuid not null, "user_id" uuid not null, "clinic_id" uuid not null, "role" text not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "clinic_membership" add constraint "clinic_membership_user_id_clinic_id_role_unique" unique ("user_id", "clinic_id", "role");`);

    this.addSql(`create table "auth_session" ("id" uuid not null, "user_id" uuid not null, "created_at" timestamptz not null default now(), "last_used_at" timestamptz not null default now(), "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_reason" varchar(64) null, "user_agent" varchar(512) null, "ip" varchar(64) null, primary key ("id"));`);
    this.addSql(`create index "auth_session_user_id_index" on "auth_session" ("user_id");`);

    this.addSql(`create table "refresh_token" ("id" uuid not null, "session_id" uuid not null, "token_hash" varchar(64) not null, "created_at" timestamptz not null default now(), "used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "refresh_token_session_id_index" on "refresh_token" ("session_id");`);

    this.addSql(`alter table "clinic" add "address" text null, add "phone" varchar(32) null, add "email" varchar(255) null, add "settings" jsonb not null default '{}', add "parent_clinic_id" uuid null, add "active" boolean not null default true, add "updated_at" timestamptz not null default now();`);
    this.addSql(`alter table "clinic" add constraint "clinic_parent_clinic_id_foreign" foreign key ("parent_clinic_id") references "clinic" ("id") on delete set null;`);

    this.addSql(`alter table "user_account" add "status" text not null default 'active', add "email_verified_at" timestamptz null, add "phone_verified_at" timestamptz null, add "totp_secret" varchar(64) null, add "totp_enabled_at" timestamptz null, add "password_changed_at" timestamptz null;`);
    this.addSql(`alter table "user_account" add constraint "user_account_status_check" check ("status" in ('active', 'deactivated'));`);

    this.addSql(`create or replace function "audit_event_audit_event_append_only_fn"() returns trigger as $$ begin raise exception 'audit_event is append-only'; end; $$ language plpgsql;`);
    this.addSql(`create trigger "audit_event_append_only" BEFORE UPDATE OR DELETE on "audit_event" for each ROW execute function "audit_event_audit_event_append_only_fn"();`);
    this.addSql(`create or replace function "audit_event_audit_event_no_truncate_fn"() returns trigger as $$ begin raise exception 'audit_event is append-only'; end; $$ language plpgsql;`);
    this.addSql(`create trigger "audit_event_no_truncate" BEFORE TRUNCATE on "audit_event" for each STATEMENT execute function "audit_event_audit_event_no_truncate_fn"();`);

    this.addSql(`alter table "clinic_service" add constraint "clinic_service_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);

    this.addSql(`alter table "totp_backup_code" add constraint "totp_backup_code_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on delete cascade;`);

    this.addSql(`alter table "patient" add constraint "patient_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on delete cascade;`);
    this.addSql(`alter table "patient" add constraint "patient_subscription_tier_check" check ("subscription_tier" in ('none', 'freeTrial', 'standard', 'standardPlus', 'vise'));`);

    this.addSql(`alter table "notification_outbox" add constraint "notification_outbox_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on delete set null;`);
    this.addSql(`alter table "notification_outbox" add constraint "notification_outbox_channel_check" check ("channel" in ('email', 'sms', 'push', 'in_app'));`);
    this.addSql(`alter table "notification_outbox" add constraint "notification_outbox_status_check" check ("status" in ('queued', 'sent', 'delivered', 'failed', 'not_sent'));`);

    this.addSql(`alter table "one_time_code" add constraint "one_time_code_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on delete cascade;`);
    this.addSql(`alter table "one_time_code" add constraint "one_time_code_purpose_check" check ("purpose" in ('verify', 'reset'));`);

    this.addSql(`alter table "doctor" add constraint "doctor_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on delete cascade;`);
    this.addSql(`alter table "doctor" add constraint "doctor_employment_type_check" check ("employment_type" in ('full_time', 'part_time', 'locum'));`);
    this.addSql(`alter table "doctor" add constraint "doctor_approval_status_check" check ("approval_status" in ('pending', 'approved', 'rejected'));`);

    this.addSql(`alter table "doctor_patient" add constraint "doctor_patient_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "doctor_patient" add constraint "doctor_patient_patient_id_foreign" foreign key ("patient_id") references "patient" ("id") on delete cascade;`);

    this.addSql(`alter table "doctor_specialty" add constraint "doctor_specialty_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "doctor_specialty" add constraint "doctor_specialty_specialty_id_foreign" foreign key ("specialty_id") references "specialty" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "doctor_clinic" add constraint "doctor_clinic_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "doctor_clinic" add constraint "doctor_clinic_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "clinic_membership" add constraint "clinic_membership_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on delete cascade;`);
    this.addSql(`alter table "clinic_membership" add constraint "clinic_membership_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "clinic_membership" add constraint "clinic_membership_role_check" check ("role" in ('receptionist', 'clinic_admin'));`);

    this.addSql(`alter table "auth_session" add constraint "auth_session_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on delete cascade;`);

    this.addSql(`alter table "refresh_token" add constraint "refresh_token_session_id_foreign" foreign key ("session_id") references "auth_session" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "doctor_specialty" drop constraint "doctor_specialty_specialty_id_foreign";`);
    this.addSql(`alter table "doctor_patient" drop constraint "doctor_patient_patient_id_foreign";`);
    this.addSql(`alter table "doctor_patient" drop constraint "doctor_patient_doctor_id_foreign";`);
    this.addSql(`alter table "doctor_specialty" drop constraint "doctor_specialty_doctor_id_foreign";`);
    this.addSql(`alter table "doctor_clinic" drop constraint "doctor_clinic_doctor_id_foreign";`);
    this.addSql(`alter table "refresh_token" drop constraint "refresh_token_session_id_foreign";`);

    this.addSql(`drop trigger if exists "audit_event_append_only" on "audit_event";`);
    this.addSql(`drop function if exists "audit_event_audit_event_append_only_fn"();`);
    this.addSql(`drop trigger if exists "audit_event_no_truncate" on "audit_event";`);
    this.addSql(`drop function if exists "audit_event_audit_event_no_truncate_fn"();`);
    this.addSql(`drop table if exists "audit_event" cascade;`);
    this.addSql(`drop table if exists "clinic_service" cascade;`);
    this.addSql(`drop table if exists "specialty" cascade;`);
    this.addSql(`drop table if exists "totp_backup_code" cascade;`);
    this.addSql(`drop table if exists "patient" cascade;`);
    this.addSql(`drop table if exists "notification_outbox" cascade;`);
    this.addSql(`drop table if exists "one_time_code" cascade;`);
    this.addSql(`drop table if exists "doctor" cascade;`);
    this.addSql(`drop table if exists "doctor_patient" cascade;`);
    this.addSql(`drop table if exists "doctor_specialty" cascade;`);
    this.addSql(`drop table if exists "doctor_clinic" cascade;`);
    this.addSql(`drop table if exists "clinic_membership" cascade;`);
    this.addSql(`drop table if exists "auth_session" cascade;`);
    this.addSql(`drop table if exists "refresh_token" cascade;`);

    this.addSql(`alter table "clinic" drop constraint "clinic_parent_clinic_id_foreign";`);

    this.addSql(`alter table "clinic" drop column "address", drop column "phone", drop column "email", drop column "settings", drop column "parent_clinic_id", drop column "active", drop column "updated_at";`);

    this.addSql(`alter table "user_account" drop constraint "user_account_status_check";`);
    this.addSql(`alter table "user_account" drop column "status", drop column "email_verified_at", drop column "phone_verified_at", drop column "totp_secret", drop column "totp_enabled_at", drop column "password_changed_at";`);
  }

}
