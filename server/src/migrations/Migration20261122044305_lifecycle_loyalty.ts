import { Migration } from '@mikro-orm/migrations';

export class Migration20261122044305_lifecycle_loyalty extends Migration {

  override name = 'Migration20261122044305_lifecycle_loyalty';

  override up(): void | Promise<void> {
    this.addSql(`create table "loyalty_points_entry" ("id" uuid not null, "patient_id" uuid not null, "clinic_id" uuid not null, "appointment_id" uuid null, "kind" text not null, "points" int not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "loyalty_points_entry_patient_id_created_at_index" on "loyalty_points_entry" ("patient_id", "created_at");`);
    this.addSql(`alter table "loyalty_points_entry" add constraint "loyalty_points_entry_once_per_appointment" unique ("appointment_id", "kind");`);

    this.addSql(`alter table "appointment" add "probable_no_show_at" timestamptz null;`);
    this.addSql(`create index "appointment_no_show_candidates" on "appointment" ("ends_at") where status = 'scheduled' AND probable_no_show_at IS NULL;`);

    this.addSql(`alter table "loyalty_points_entry" add constraint "loyalty_points_entry_patient_id_foreign" foreign key ("patient_id") references "patient" ("id") on delete cascade;`);
    this.addSql(`alter table "loyalty_points_entry" add constraint "loyalty_points_entry_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "loyalty_points_entry" add constraint "loyalty_points_entry_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on delete set null;`);
    this.addSql(`alter table "loyalty_points_entry" add constraint "loyalty_points_entry_points_nonzero" check (points <> 0);`);
    this.addSql(`alter table "loyalty_points_entry" add constraint "loyalty_points_entry_kind_check" check ("kind" in ('award'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "loyalty_points_entry" cascade;`);

    this.addSql(`drop index "appointment_no_show_candidates";`);
    this.addSql(`alter table "appointment" drop column "probable_no_show_at";`);
  }

}
