import type { PublicRoute, ScreenRoute } from "../../lib/routes";
import { lazyScreen } from "../../lib/lazy";
import "./account.css";

/** This area's screens, one chunk loaded when the first of them opens (lib/lazy.ts). */
const screens = () => import("./screens");
const DevMailbox = lazyScreen(screens, (m) => m.DevMailbox);
const Notifications = lazyScreen(screens, (m) => m.Notifications);
const Preferences = lazyScreen(screens, (m) => m.Preferences);
const Profile = lazyScreen(screens, (m) => m.Profile);
const Register = lazyScreen(screens, (m) => m.Register);
const ResetPassword = lazyScreen(screens, (m) => m.ResetPassword);
const Security = lazyScreen(screens, (m) => m.Security);
const VerifyPage = lazyScreen(screens, (m) => m.VerifyPage);

/** A signed-in user's own screens: the inbox, security (password, two-factor, sessions), preferences, profile. */
export const accountRoutes: ScreenRoute[] = [
  { path: "/notifications", roles: "all", nav: "Notifications", render: () => <Notifications /> },
  { path: "/account", roles: "all", nav: "Account", render: ({ session }) => <Security session={session} /> },
  { path: "/account/notifications", roles: "all", render: ({ session }) => <Preferences session={session} /> },
  { path: "/account/profile", roles: ["patient"], render: ({ session }) => <Profile session={session} /> },
  { path: "/dev/mailbox", roles: "all", render: () => <DevMailbox /> },
];

/** Screens reachable without signing in (register, verify, reset password, the development mailbox). */
export const publicAccountRoutes: PublicRoute[] = [
  { path: "/register", render: () => <Register /> },
  { path: "/verify", render: () => <VerifyPage /> },
  { path: "/forgot-password", render: () => <ResetPassword /> },
  { path: "/reset-password", render: () => <ResetPassword start="reset" /> },
  { path: "/dev/mailbox", render: () => <DevMailbox /> },
];
