import { Migration } from '@mikro-orm/migrations';

/** The lifecycle sweep's scan for lapsed holds (appointment-lifecycle.ts), every minute. */
export class Migration20261214090000_pending_holds_index extends Migration {

  override name = 'Migration20261214090000_pending_holds_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "appointment_pending_holds" on "appointment" ("hold_expires_at") where status = 'pending';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "appointment_pending_holds";`);
  }

}
