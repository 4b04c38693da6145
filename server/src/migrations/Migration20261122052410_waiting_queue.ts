import { Migration } from '@mikro-orm/migrations';

export class Migration20261122052410_waiting_queue extends Migration {

  override name = 'Migration20261122052410_waiting_queue';

  override up(): void | Promise<void> {
    this.addSql(`create table "queue_ticket_counter" ("clinic_id" uuid not null, "service_day" date not null, "prefix" varchar(1) not null, "last" int not null, primary key ("clinic_id", "service_day", "prefix"));`);

    this.addSql(`create table "queue_entry" ("id" uuid not null, "clinic_id" uuid not null, "doctor_id" uuid null, "patient_id" uuid not null, "appointment_id" uuid null, "slot_id" uuid null, "kind" text not null, "service_day" date not null, "ticket" varchar(8) not null, "status" text not null default 'waiting', "reason" text null, "manual_rank" int null, "room" varchar(32) null, "arrived_at" timestamptz not null, "called_at" timestamptz null, "started_at" timestamptz null, "finished_at" timestamptz null, "left_at" timestamptz null, "expected_at" timestamptz null, "version" int not null default 1, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "queue_entry_patient_id_index" on "queue_entry" ("patient_id");`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_appointment_id_unique" unique ("appointment_id");`);
    this.addSql(`create index "queue_entry_clinic_id_service_day_status_index" on "queue_entry" ("clinic_id", "service_day", "status");`);
    this.addSql(`create index "queue_entry_doctor_id_service_day_status_index" on "queue_entry" ("doctor_id", "service_day", "status");`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_ticket_unique" unique ("clinic_id", "service_day", "ticket");`);

    this.addSql(`alter table "appointment" add "expected_start_at" timestamptz null;`);

    this.addSql(`alter table "queue_ticket_counter" add constraint "queue_ticket_counter_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);

    this.addSql(`alter table "queue_entry" add constraint "queue_entry_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete set null;`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_patient_id_foreign" foreign key ("patient_id") references "patient" ("id") on delete cascade;`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on delete set null;`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_slot_id_foreign" foreign key ("slot_id") references "slot" ("id") on delete set null;`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_kind_check" check ("kind" in ('appointment', 'walk_in', 'emergency'));`);
    this.addSql(`alter table "queue_entry" add constraint "queue_entry_status_check" check ("status" in ('waiting', 'called', 'in_room', 'done', 'left', 'no_show'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "queue_ticket_counter" cascade;`);
    this.addSql(`drop table if exists "queue_entry" cascade;`);

    this.addSql(`alter table "appointment" drop column "expected_start_at";`);
  }

}
