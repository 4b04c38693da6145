/** Every screen of the app, by area; App.tsx routes through these and the shell's menu lists them. */
import type { PublicRoute, ScreenRoute } from "../lib/routes";
import { accountRoutes, publicAccountRoutes } from "./account/routes";
import { adminRoutes } from "./admin/routes";
import { doctorRoutes } from "./doctor/routes";
import { patientRoutes } from "./patient/routes";
import { receptionRoutes } from "./reception/routes";

export const screenRoutes: ScreenRoute[] = [...patientRoutes, ...doctorRoutes, ...receptionRoutes, ...adminRoutes, ...accountRoutes];
export const publicRoutes: PublicRoute[] = publicAccountRoutes;
