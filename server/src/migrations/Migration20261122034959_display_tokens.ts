import { Migration } from '@mikro-orm/migrations';

export class Migration20261122034959_display_tokens extends Migration {

  override name = 'Migration20261122034959_display_tokens';

  override up(): void | Promise<void> {
    this.addSql(`create table "display_token" ("id" uuid not null, "clinic_id" uuid not null, "name" varchar(100) not null, "secret_hash" varchar(64) not null, "created_by_id" uuid null, "created_at" timestamptz not null default now(), "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "display_token_clinic_id_created_at_index" on "display_token" ("clinic_id", "created_at");`);

    this.addSql(`alter table "display_token" add constraint "display_token_clinic_id_foreign" foreign key ("clinic_id") references "clinic" ("id") on delete cascade;`);
    this.addSql(`alter table "display_token" add constraint "display_token_created_by_id_foreign" foreign key ("created_by_id") references "user_account" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "display_token" cascade;`);
  }

}
