import type { PublicRoute, ScreenRoute } from "../../lib/routes";
import { DevMailbox } from "./DevMailbox";
import { Notifications } from "./Notifications";
import { Preferences } from "./Preferences";
import { Profile } from "./Profile";
import { Register } from "./Register";
import { ResetPassword } from "./ResetPassword";
import { Security } from "./Security";
import { VerifyPage } from "./Verify";
import "./account.css";

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
