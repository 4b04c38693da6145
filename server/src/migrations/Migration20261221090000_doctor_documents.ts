import { Migration } from '@mikro-orm/migrations';

/** Doctors' credential documents (docs/directory.md "Credential documents"); the bytes are in the file store. */
export class Migration20261221090000_doctor_documents extends Migration {

  override name = 'Migration20261221090000_doctor_documents';

  override up(): void | Promise<void> {
    this.addSql(`create table "doctor_document" ("id" uuid not null, "doctor_id" uuid not null, "kind" text not null, "file_name" text not null, "content_type" text not null, "size_bytes" int not null, "sha256" varchar(64) not null, "uploaded_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "doctor_document_doctor_id_uploaded_at_index" on "doctor_document" ("doctor_id", "uploaded_at");`);
    this.addSql(`alter table "doctor_document" add constraint "doctor_document_kind_check" check ("kind" in ('registration', 'qualification', 'identity', 'other'));`);
    this.addSql(`alter table "doctor_document" add constraint "doctor_document_content_type_check" check ("content_type" in ('application/pdf', 'image/png', 'image/jpeg'));`);
    this.addSql(`alter table "doctor_document" add constraint "doctor_document_doctor_id_foreign" foreign key ("doctor_id") references "doctor" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table "doctor_document";`);
  }

}
