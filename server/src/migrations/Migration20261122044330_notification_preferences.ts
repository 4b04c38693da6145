import { Migration } from '@mikro-orm/migrations';

export class Migration20261122044330_notification_preferences extends Migration {

  override name = 'Migration20261122044330_notification_preferences';

  override up(): void | Promise<void> {
    this.addSql(`create table "notification_preference" ("user_id" uuid not null, "email" boolean not null default true, "sms" boolean not null default false, "push" boolean not null default false, "quiet_hours_start" varchar(5) null, "quiet_hours_end" varchar(5) null, "updated_at" timestamptz not null default now(), primary key ("user_id"));`);

    // Patients' choices move here (quiet hours were the fixed default 21:00–08:00 until now).
    this.addSql(`insert into "notification_preference" ("user_id", "email", "sms", "push", "quiet_hours_start", "quiet_hours_end")
      select "user_id", coalesce(("reminder_preferences"->>'email')::boolean, true), coalesce(("reminder_preferences"->>'sms')::boolean, false),
             coalesce(("reminder_preferences"->>'push')::boolean, false), '21:00', '08:00'
        from "patient";`);
    this.addSql(`alter table "patient" drop column "reminder_preferences";`);

    this.addSql(`create index "notification_outbox_user_id_channel_created_at_index" on "notification_outbox" ("user_id", "channel", "created_at");`);

    this.addSql(`alter table "notification_preference" add constraint "notification_preference_user_id_foreign" foreign key ("user_id") references "user_account" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "notification_preference" add constraint "notification_preference_quiet_hours_both" check (((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "patient" add "reminder_preferences" jsonb not null default '{"email":true,"sms":false,"push":false,"inApp":true}';`);
    this.addSql(`update "patient" p set "reminder_preferences" = jsonb_build_object('email', n."email", 'sms', n."sms", 'push', n."push", 'inApp', true)
      from "notification_preference" n where n."user_id" = p."user_id";`);
    this.addSql(`alter table "patient" alter column "reminder_preferences" drop default;`);
    this.addSql(`drop table if exists "notification_preference" cascade;`);

    this.addSql(`drop index "notification_outbox_user_id_channel_created_at_index";`);
  }

}
