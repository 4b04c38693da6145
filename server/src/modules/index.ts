/**
 * The one list of modules: the only file that names them all. The runtime mounts each one's
 * entities, routes, jobs, topics and subscribers from its descriptor (platform/module.ts), in this
 * order: a module comes after the ones it builds on (docs/architecture.md draws the layers).
 */
import type { Module } from "../platform/module";
import { alertsModule } from "./alerts";
import { analyticsModule } from "./analytics";
import { auditModule } from "./audit";
import { bookingModule } from "./booking";
import { directoryModule } from "./directory";
import { handoverModule } from "./handover";
import { identityModule } from "./identity";
import { loyaltyModule } from "./loyalty";
import { notificationsModule } from "./notifications";
import { paymentsModule } from "./payments";
import { queueModule } from "./queue";
import { remindersModule } from "./reminders";
import { reviewsModule } from "./reviews";
import { schedulingModule } from "./scheduling";
import { waitlistModule } from "./waitlist";

export const modules: readonly Module[] = [
  identityModule,
  notificationsModule,
  directoryModule,
  auditModule,
  schedulingModule,
  bookingModule,
  loyaltyModule,
  remindersModule,
  waitlistModule,
  alertsModule,
  paymentsModule,
  handoverModule,
  queueModule,
  reviewsModule,
  analyticsModule,
];

/** Every module's tables, for the ORM. */
export const moduleEntities = () => modules.flatMap((module) => module.entities?.() ?? []);
