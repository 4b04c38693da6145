import { Migration } from '@mikro-orm/migrations';

export class Migration20261122083525_refunds_wallet extends Migration {

  override name = 'Migration20261122083525_refunds_wallet';

  override up(): void | Promise<void> {
    this.addSql(`alter table "appointment" drop constraint "appointment_payment_status_check";`);
    this.addSql(`alter table "appointment" add constraint "appointment_payment_status_check" check ("payment_status" in ('not_required', 'unpaid', 'paid', 'refunded', 'partially_refunded', 'failed'));`);

    this.addSql(`alter table "wallet_entry" add "reference" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "appointment" drop constraint "appointment_payment_status_check";`);
    this.addSql(`alter table "appointment" add constraint "appointment_payment_status_check" check ("payment_status" in ('not_required', 'unpaid', 'paid', 'refunded', 'failed'));`);

    this.addSql(`alter table "wallet_entry" drop column "reference";`);
  }

}
