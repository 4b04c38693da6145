/** Every screen of the account area, for its lazily loaded chunk (routes.tsx). */
export { DevMailbox } from "./DevMailbox";
export { Notifications } from "./Notifications";
export { Preferences } from "./Preferences";
export { Profile } from "./Profile";
export { Register } from "./Register";
export { ResetPassword } from "./ResetPassword";
export { Security } from "./Security";
export { VerifyPage } from "./Verify";
