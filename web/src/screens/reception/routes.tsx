import type { ScreenRoute } from "../../lib/routes";
import { DayCalendar } from "./DayCalendar";
import { QueueBoard } from "./QueueBoard";
import "./reception.css";

/** Reception screens: the clinic's receptionists, and its clinic admins. */
export const receptionRoutes: ScreenRoute[] = [
  { path: "/reception/queue", roles: ["receptionist", "clinic_admin"], nav: "Queue board", wide: true, render: ({ session }) => <QueueBoard session={session} /> },
  { path: "/reception/day", roles: ["receptionist", "clinic_admin"], nav: "Day calendar", wide: true, render: ({ session }) => <DayCalendar session={session} /> },
];
