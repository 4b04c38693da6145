import { Migration } from '@mikro-orm/migrations';

/**
 * When an appointment first became a booked visit (docs/analytics.md): a trigger sets it on every
 * write path (the booking service, the payment webhook, staff tools, raw SQL alike). Rows written
 * before it are backfilled from their creation time: every visit that got past `pending`, and a
 * cancelled one when it was paid (a cancelled unpaid hold of the past cannot be told apart).
 */
export class Migration20261228090000_appointment_scheduled_at extends Migration {

  override name = 'Migration20261228090000_appointment_scheduled_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table "appointment" add column "scheduled_at" timestamptz null;`);
    // As the entity declares it (AppointmentSchema `triggers`), so the schema check sees no drift.
    this.addSql(`create or replace function "appointment_appointment_scheduled_at_fn"() returns trigger as $$ begin if new.scheduled_at is null and new.status in ('scheduled', 'checked_in', 'in_consultation', 'completed', 'no_show') then new.scheduled_at := now(); end if; return new; end; $$ language plpgsql;`);
    this.addSql(`create trigger "appointment_scheduled_at" BEFORE INSERT OR UPDATE on "appointment" for each ROW execute function "appointment_appointment_scheduled_at_fn"();`);
    this.addSql(`update "appointment" set "scheduled_at" = "created_at"
      where "status" in ('scheduled', 'checked_in', 'in_consultation', 'completed', 'no_show')
         or ("status" = 'cancelled' and "payment_status" in ('paid', 'refunded', 'partially_refunded', 'moved'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger appointment_scheduled_at on "appointment";`);
    this.addSql(`drop function "appointment_appointment_scheduled_at_fn"();`);
    this.addSql(`alter table "appointment" drop column "scheduled_at";`);
  }

}
