import { Migration } from '@mikro-orm/migrations';

export class Migration20261122043643_notification_delivery extends Migration {

  override name = 'Migration20261122043643_notification_delivery';

  override up(): void | Promise<void> {
    this.addSql(`alter table "notification_outbox" add "clinic_id" uuid null, add "language" varchar(16) not null default 'en', add "dedupe_key" varchar(200) null, add "attempts" int not null default 0, add "provider_id" varchar(200) null, add "sent_at" timestamptz null, add "delivered_at" timestamptz null, add "read_at" timestamptz null, add "updated_at" timestamptz not null default now();`);
    this.addSql(`alter table "notification_outbox" add constraint "notification_outbox_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "notification_outbox_clinic_id_created_at_index" on "notification_outbox" ("clinic_id", "created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "notification_outbox" drop constraint "notification_outbox_dedupe_key_unique";`);
    this.addSql(`drop index "notification_outbox_clinic_id_created_at_index";`);
    this.addSql(`alter table "notification_outbox" drop column "clinic_id", drop column "language", drop column "dedupe_key", drop column "attempts", drop column "provider_id", drop column "sent_at", drop column "delivered_at", drop column "read_at", drop column "updated_at";`);
  }

}
