import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { REMINDER_JOB, REMINDER_REPLAN_JOB, replanReminders, sendReminder, type ReminderData } from "./reminders.service";

/**
 * `appointment-reminder` (queue "reminders", jobId `reminder-{appointmentId}-{kind}`, data
 * {appointmentId, kind, startsAt}): sends one reminder if the appointment is still scheduled at that
 * start. Retries and duplicates are no-ops (outbox rows are keyed by the job id).
 * `reminder-replan`: re-plans the jobs a Redis data loss took (reminders.service.ts).
 */
export function reminderJobs(ctx: ModuleContext): JobDefinition<never>[] {
  const reminder: JobDefinition<ReminderData> = {
    queue: "reminders",
    name: REMINDER_JOB,
    async process(data) {
      return { outcome: await sendReminder(ctx, data) };
    },
  };
  // Queue "maintenance", every LIFECYCLE_EVERY_SECONDS and at each worker's start: cheap unless Redis lost its data.
  const replan: JobDefinition<Record<string, never>> = {
    queue: "maintenance",
    name: REMINDER_REPLAN_JOB,
    repeat: { everyMs: ctx.config.booking.lifecycleEverySeconds * 1000 },
    runAtStart: true,
    process: () => replanReminders(ctx),
  };
  return [reminder as unknown as JobDefinition<never>, replan as unknown as JobDefinition<never>];
}
