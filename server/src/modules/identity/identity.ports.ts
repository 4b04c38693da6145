/**
 * What identity needs from modules built on it (platform/module.ts `Ports`), provided by them:
 * the profile a new account starts with, and whether it is filled in (directory); sending an
 * account's codes (notifications). Identity imports neither module.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { NotificationChannel } from "@clinic/shared";
import type { UserPrincipal } from "./principal";
import type { UserAccount } from "./user.entity";

export interface AccountProfiles {
  /** Adds the profile a new account of `role` starts with (a patient's or a doctor's), in `tx`. */
  create(tx: EntityManager, user: UserAccount, input: { role: "patient" | "doctor"; name: string; email: string | null; phone: string | null }): void;
  /** Patients: date of birth given. Doctors: a bio and at least one specialty. Staff and admins: nothing to fill in. */
  isComplete(em: EntityManager, who: UserPrincipal): Promise<boolean>;
}

export interface AccountMessages {
  /** Queues an account message (a code) in `tx`, whatever the person opted out of; its outbox id. */
  enqueue(tx: EntityManager, message: { userId: string; channel: NotificationChannel; recipient: string; template: string; payload: Record<string, unknown> }): string;
  /** Queues delivery of committed messages (the outbox relay catches any this misses). */
  dispatch(outboxIds: string[]): Promise<void>;
}

declare module "../../platform/module" {
  interface Ports {
    accountProfiles: AccountProfiles;
    accountMessages: AccountMessages;
  }
}
