/** Every screen of the admin area, for its lazily loaded chunk (routes.tsx). */
export { AdminHome } from "./AdminHome";
export { Analytics } from "./Analytics";
export { Audit } from "./Audit";
export { BookingRules } from "./BookingRules";
export { DisplayTokens } from "./DisplayTokens";
export { AdminHandover } from "./Handover";
export { Import } from "./Import";
export { AdminReviews } from "./Reviews";
export { Services } from "./Services";
export { Staff } from "./Staff";
export { Templates } from "./Templates";
