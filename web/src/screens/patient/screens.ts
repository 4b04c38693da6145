/** Every screen of the patient area, for its lazily loaded chunk (routes.tsx). */
export { Booking } from "./Booking";
export { DoctorWeek } from "./DoctorWeek";
export { FindDoctor } from "./FindDoctor";
export { MyAppointments } from "./MyAppointments";
export { Reschedule } from "./Reschedule";
export { DoctorReviewsPage, Reviews } from "./Reviews";
export { Waitlist } from "./Waitlist";
