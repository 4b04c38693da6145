/** Every screen of the doctor area, for its lazily loaded chunk (routes.tsx). */
export { DoctorAnalytics } from "./Analytics";
export { Availability } from "./Availability";
export { Credentials } from "./Credentials";
export { DoctorHandover } from "./Handover";
export { MyDay } from "./MyDay";
export { DoctorReviews } from "./Reviews";
export { TimeOff } from "./TimeOff";
