import type { ScreenRoute } from "../../lib/routes";
import { lazyScreen } from "../../lib/lazy";
import "./doctor.css";

/** This area's screens, one chunk loaded when the first of them opens (lib/lazy.ts). */
const screens = () => import("./screens");
const Availability = lazyScreen(screens, (m) => m.Availability);
const DoctorAnalytics = lazyScreen(screens, (m) => m.DoctorAnalytics);
const Credentials = lazyScreen(screens, (m) => m.Credentials);
const DoctorHandover = lazyScreen(screens, (m) => m.DoctorHandover);
const MyDay = lazyScreen(screens, (m) => m.MyDay);
const DoctorReviews = lazyScreen(screens, (m) => m.DoctorReviews);
const TimeOff = lazyScreen(screens, (m) => m.TimeOff);

/** Doctor screens. */
export const doctorRoutes: ScreenRoute[] = [
  { path: "/doctor/day", roles: ["doctor"], nav: "My day", render: ({ session }) => <MyDay session={session} /> },
  { path: "/doctor/availability", roles: ["doctor"], nav: "Availability", render: ({ session }) => <Availability session={session} /> },
  { path: "/doctor/time-off", roles: ["doctor"], nav: "Time off", render: ({ session }) => <TimeOff session={session} /> },
  { path: "/doctor/handover", roles: ["doctor"], nav: "Hand over", render: ({ session }) => <DoctorHandover session={session} /> },
  { path: "/doctor/analytics", roles: ["doctor"], nav: "My figures", wide: true, render: ({ session }) => <DoctorAnalytics session={session} /> },
  { path: "/doctor/reviews", roles: ["doctor"], nav: "Reviews", render: ({ session }) => <DoctorReviews session={session} /> },
  { path: "/doctor/credentials", roles: ["doctor"], nav: "Credentials", render: ({ session }) => <Credentials session={session} /> },
];
