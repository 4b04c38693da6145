import type { ScreenRoute } from "../../lib/routes";
import { Availability } from "./Availability";
import { Credentials } from "./Credentials";
import { MyDay } from "./MyDay";
import { DoctorReviews } from "./Reviews";
import { TimeOff } from "./TimeOff";
import "./doctor.css";

/** Doctor screens. */
export const doctorRoutes: ScreenRoute[] = [
  { path: "/doctor/day", roles: ["doctor"], nav: "My day", render: ({ session }) => <MyDay session={session} /> },
  { path: "/doctor/availability", roles: ["doctor"], nav: "Availability", render: ({ session }) => <Availability session={session} /> },
  { path: "/doctor/time-off", roles: ["doctor"], nav: "Time off", render: ({ session }) => <TimeOff session={session} /> },
  { path: "/doctor/reviews", roles: ["doctor"], nav: "Reviews", render: ({ session }) => <DoctorReviews session={session} /> },
  { path: "/doctor/credentials", roles: ["doctor"], nav: "Credentials", render: ({ session }) => <Credentials session={session} /> },
];
