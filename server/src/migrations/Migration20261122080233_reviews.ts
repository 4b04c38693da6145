import { Migration } from '@mikro-orm/migrations';

export class Migration20261122080233_reviews extends Migration {

  override name = 'Migration20261122080233_reviews';

  override up(): void | Promise<void> {
    this.addSql(`create table "review" ("id" uuid not null, "appointment_id" uuid not null, "doctor_id" uuid not null, "patient_id" uuid not null, "clinic_id" uuid not null, "stars" smallint not null, "text" text not null default '', "reply_text" text null, "replied_at" timestamptz null, "hidden_at" timestamptz null, "hidden_reason" text null, "hidden_by_id" uuid null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "review_patient_id_index" on "review" ("patient_id");`);
    this.addSql(`create index "review_doctor_visible" on "review" ("doctor_id", "created_at") where hidden_at IS NULL;`);
    this.addSql(`alter table "review" add constraint "review_one_per_appointment" unique ("appointment_id");`);

    this.addSql(`alter table "review" add constraint "review_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on delete cascade;`);
    this.addSql(`alter table "review" add constraint "review_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
    this.addSql(`alter table "review" add constraint "review_patient_id_foreign" foreign key ("patient_id") references "patient" ("id") on delete cascade;`);
    this.addSql(`alter table "review" add constraint "review_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "review" add constraint "review_hidden_by_id_foreign" foreign key ("hidden_by_id") references "user_account" ("id") on delete set null;`);
    this.addSql(`alter table "review" add constraint "review_stars_range" check ((stars >= 1) AND (stars <= 5));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "review" cascade;`);
  }

}
