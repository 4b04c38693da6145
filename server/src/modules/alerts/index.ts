/** Alerts: clinic admins' cancellation alerts and the patients' leave-cancellation messages (docs/booking.md). */
import type { Module } from "../../platform/module";
import { bookingChangesSubscriber } from "../booking";
import { alertJobs } from "./alerts.jobs";
import { queueCancellationAlerts } from "./cancellation-alerts";
import { leaveMessages } from "./leave-messages";

export const alertsModule: Module = {
  name: "alerts",
  jobs: (ctx) => alertJobs(ctx),
  subscribers: (ctx) => [bookingChangesSubscriber("cancellation-alerts", (snapshot) => queueCancellationAlerts(ctx, snapshot)), leaveMessages(ctx)],
};

// What other modules may use.
export { alternativesText, earliestAlternatives, type Alternative } from "./alternatives";
