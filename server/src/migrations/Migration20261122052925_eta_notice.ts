import { Migration } from '@mikro-orm/migrations';

export class Migration20261122052925_eta_notice extends Migration {

  override name = 'Migration20261122052925_eta_notice';

  override up(): void | Promise<void> {
    this.addSql(`create table "eta_notice" ("id" uuid not null, "appointment_id" uuid null, "queue_entry_id" uuid null, "told_at" timestamptz not null, "notices" int not null default 0, "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "eta_notice" add constraint "eta_notice_appointment_id_unique" unique ("appointment_id");`);
    this.addSql(`alter table "eta_notice" add constraint "eta_notice_queue_entry_id_unique" unique ("queue_entry_id");`);

    this.addSql(`alter table "eta_notice" add constraint "eta_notice_appointment_id_foreign" foreign key ("appointment_id") references "appointment" ("id") on delete cascade;`);
    this.addSql(`alter table "eta_notice" add constraint "eta_notice_queue_entry_id_foreign" foreign key ("queue_entry_id") references "queue_entry" ("id") on delete cascade;`);
    this.addSql(`alter table "eta_notice" add constraint "eta_notice_one_subject" check (num_nonnulls(appointment_id, queue_entry_id) = 1);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "eta_notice" cascade;`);
  }

}
