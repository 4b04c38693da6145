import type { ScreenRoute } from "../../lib/routes";
import { MyDay } from "./MyDay";
import "./doctor.css";

/** Doctor screens. */
export const doctorRoutes: ScreenRoute[] = [
  { path: "/doctor/day", roles: ["doctor"], nav: "My day", render: ({ session }) => <MyDay session={session} /> },
];
