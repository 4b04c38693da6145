import { Migration } from '@mikro-orm/migrations';

/** The domain event outbox (platform/outbox.ts): recorded with the change, delivered after commit, retried. */
export class Migration20261207120000_domain_events extends Migration {

  override name = 'Migration20261207120000_domain_events';

  override up(): void | Promise<void> {
    this.addSql(`create table "domain_event" ("id" bigserial primary key, "batch_id" uuid not null, "name" varchar(80) not null, "data" jsonb not null, "occurred_at" timestamptz not null default now(), "pending" text[] null, "attempts" int not null default 0, "lease_until" timestamptz null, "next_attempt_at" timestamptz null, "delivered_at" timestamptz null, "last_error" text null);`);
    this.addSql(`create index "domain_event_undelivered" on "domain_event" ("next_attempt_at", "id") where delivered_at IS NULL;`);
    this.addSql(`create index "domain_event_batch_id_index" on "domain_event" ("batch_id");`);
    this.addSql(`create index "domain_event_delivered" on "domain_event" ("delivered_at") where delivered_at IS NOT NULL;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table "domain_event";`);
  }

}
