/** Appointment reminders: planned from appointment changes, sent by the worker (docs/notifications.md). */
import type { Module } from "../../platform/module";
import { bookingChangesSubscriber } from "../booking";
import { reminderJobs } from "./reminders.jobs";
import { planAppointmentReminders } from "./reminders.service";

export const remindersModule: Module = {
  name: "reminders",
  jobs: (ctx) => reminderJobs(ctx),
  subscribers: (ctx) => [bookingChangesSubscriber("reminder-planning", (snapshot) => planAppointmentReminders(ctx, snapshot))],
};
