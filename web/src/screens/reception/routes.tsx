import type { ScreenRoute } from "../../lib/routes";
import { lazyScreen } from "../../lib/lazy";
import "./reception.css";

/** This area's screens, one chunk loaded when the first of them opens (lib/lazy.ts). */
const screens = () => import("./screens");
const DayCalendar = lazyScreen(screens, (m) => m.DayCalendar);
const QueueBoard = lazyScreen(screens, (m) => m.QueueBoard);

/** Reception screens: the clinic's receptionists, and its clinic admins. */
export const receptionRoutes: ScreenRoute[] = [
  { path: "/reception/queue", roles: ["receptionist", "clinic_admin"], nav: "Queue board", wide: true, render: ({ session }) => <QueueBoard session={session} /> },
  { path: "/reception/day", roles: ["receptionist", "clinic_admin"], nav: "Day calendar", wide: true, render: ({ session }) => <DayCalendar session={session} /> },
];
