import { Migration } from '@mikro-orm/migrations';

export class Migration20261122034749_elastic_booking extends Migration {

  override name = 'Migration20261122034749_elastic_booking';

  override up(): void | Promise<void> {
    this.addSql(`alter table "appointment" add "elastic_allocation_id" uuid null;`);
    this.addSql(`alter table "appointment" add constraint "appointment_elastic_allocation_id_foreign" foreign key ("elastic_allocation_id") references "elastic_allocation" ("id") on delete restrict;`);
    this.addSql(`alter table "appointment" alter column "slot_id" drop not null;`);
    this.addSql(`alter table "appointment" add constraint "appointment_elastic_allocation_id_unique" unique ("elastic_allocation_id");`);
    this.addSql(`alter table "appointment" add constraint "appointment_slot_or_allocation" check (num_nonnulls(slot_id, elastic_allocation_id) = 1);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "appointment" drop constraint "appointment_elastic_allocation_id_foreign";`);

    this.addSql(`alter table "appointment" drop constraint "appointment_elastic_allocation_id_unique";`);
    this.addSql(`alter table "appointment" drop constraint "appointment_slot_or_allocation";`);
    this.addSql(`alter table "appointment" drop column "elastic_allocation_id";`);
    this.addSql(`alter table "appointment" alter column "slot_id" set not null;`);
  }

}
