import { Migration } from "@mikro-orm/migrations";

export class Migration20261122000000_platform extends Migration {
  override name = "Migration20261122000000_platform";

  override up(): void {
    // btree_gist backs the slot exclusion constraint; citext makes email logins case-insensitive.
    this.addSql("create extension if not exists btree_gist;");
    this.addSql("create extension if not exists citext;");
    this.addSql(`
      create table clinic (
        id uuid primary key,
        slug varchar(255) not null constraint clinic_slug_unique unique,
        name varchar(255) not null,
        time_zone varchar(64) not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table user_account (
        id uuid primary key,
        email citext constraint user_account_email_unique unique,
        phone varchar(32) constraint user_account_phone_unique unique,
        password_hash text not null,
        role text not null check (role in ('patient','doctor','receptionist','clinic_admin','platform_admin')),
        display_name varchar(255) not null,
        created_at timestamptz not null default now(),
        constraint user_account_has_login check (email is not null or phone is not null)
      );`);
  }

  override down(): void {
    this.addSql("drop table if exists user_account;");
    this.addSql("drop table if exists clinic;");
  }
}
