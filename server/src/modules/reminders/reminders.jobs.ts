import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { REMINDER_JOB, sendReminder, type ReminderData } from "./reminders.service";

/**
 * `appointment-reminder` (queue "reminders", jobId `reminder-{appointmentId}-{kind}`, data
 * {appointmentId, kind, startsAt}): sends one reminder if the appointment is still scheduled at that
 * start. Retries and duplicates are no-ops (outbox rows are keyed by the job id).
 */
export function reminderJobs(ctx: ModuleContext): JobDefinition<never>[] {
  const reminder: JobDefinition<ReminderData> = {
    queue: "reminders",
    name: REMINDER_JOB,
    async process(data) {
      return { outcome: await sendReminder(ctx, data) };
    },
  };
  return [reminder as unknown as JobDefinition<never>];
}
