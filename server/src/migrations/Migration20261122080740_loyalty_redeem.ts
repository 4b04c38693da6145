import { Migration } from '@mikro-orm/migrations';

export class Migration20261122080740_loyalty_redeem extends Migration {

  override name = 'Migration20261122080740_loyalty_redeem';

  override up(): void | Promise<void> {
    this.addSql(`alter table "loyalty_points_entry" drop constraint "loyalty_points_entry_kind_check";`);
    this.addSql(`alter table "loyalty_points_entry" add constraint "loyalty_points_entry_kind_check" check ("kind" in ('award', 'redeem', 'return'));`);
    this.addSql(`create or replace function "loyalty_points_entry_loyalty_balance_nonnegative_fn"() returns trigger as $$ begin if (select coalesce(sum(points), 0) from loyalty_points_entry where patient_id = new.patient_id) < 0 then raise exception 'loyalty balance of patient % would go negative', new.patient_id using errcode = '23514'; end if; return new; end; $$ language plpgsql;`);
    this.addSql(`create trigger "loyalty_balance_nonnegative" AFTER INSERT on "loyalty_points_entry" for each ROW
  when ((new.points < 0)) execute function "loyalty_points_entry_loyalty_balance_nonnegative_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "loyalty_points_entry" drop constraint "loyalty_points_entry_kind_check";`);
    this.addSql(`drop trigger if exists "loyalty_balance_nonnegative" on "loyalty_points_entry";`);
    this.addSql(`drop function if exists "loyalty_points_entry_loyalty_balance_nonnegative_fn"();`);
    this.addSql(`alter table "loyalty_points_entry" add constraint "loyalty_points_entry_kind_check" check ("kind" in ('award'));`);
  }

}
