import { Migration } from '@mikro-orm/migrations';

/**
 * At most one called and one in-room patient per doctor. Before the indexes can exist, surplus
 * entries that call-next used to pile up are sent back to waiting, as the doctor's "send back"
 * would do (an appointment in consultation goes back to checked in); each doctor keeps the most
 * recent one of each status.
 */
export class Migration20261207100000_queue_one_called extends Migration {

  override name = 'Migration20261207100000_queue_one_called';

  override up(): void | Promise<void> {
    this.addSql(`with surplus as (
      select id, appointment_id from (
        select id, appointment_id, row_number() over (partition by doctor_id order by started_at desc nulls last, id desc) as n
          from queue_entry where status = 'in_room' and doctor_id is not null) ranked
       where n > 1),
    back as (
      update appointment a set status = 'checked_in', version = a.version + 1, updated_at = now()
        from surplus s where a.id = s.appointment_id and a.status = 'in_consultation')
    update queue_entry q set status = 'waiting', called_at = null, started_at = null, version = q.version + 1, updated_at = now()
      from surplus s where q.id = s.id;`);
    this.addSql(`update queue_entry q set status = 'waiting', called_at = null, version = q.version + 1, updated_at = now()
      from (select id, row_number() over (partition by doctor_id order by called_at desc nulls last, id desc) as n
              from queue_entry where status = 'called' and doctor_id is not null) ranked
     where q.id = ranked.id and ranked.n > 1;`);
    this.addSql(`create unique index "queue_entry_one_called_per_doctor" on "queue_entry" ("doctor_id") where status = 'called';`);
    this.addSql(`create unique index "queue_entry_one_in_room_per_doctor" on "queue_entry" ("doctor_id") where status = 'in_room';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "queue_entry_one_called_per_doctor";`);
    this.addSql(`drop index "queue_entry_one_in_room_per_doctor";`);
  }

}
