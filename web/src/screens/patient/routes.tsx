import type { ScreenRoute } from "../../lib/routes";
import { Booking } from "./Booking";
import { DoctorWeek } from "./DoctorWeek";
import { FindDoctor } from "./FindDoctor";
import { MyAppointments } from "./MyAppointments";
import { Reschedule } from "./Reschedule";
import { DoctorReviewsPage, Reviews } from "./Reviews";
import { Waitlist } from "./Waitlist";
import "./patient.css";

const patient = ["patient"] as const;

/** Patient screens (docs/web-patient.md). */
export const patientRoutes: ScreenRoute[] = [
  { path: "/patient/doctors", roles: patient, nav: "Find a doctor", render: () => <FindDoctor /> },
  { path: "/patient/doctors/:doctorId", roles: patient, render: ({ params }) => <DoctorWeek key={params.doctorId} doctorId={params.doctorId!} /> },
  { path: "/patient/book/:appointmentId", roles: patient, render: ({ params }) => <Booking key={params.appointmentId} appointmentId={params.appointmentId!} /> },
  { path: "/patient/appointments", roles: patient, nav: "My appointments", render: () => <MyAppointments /> },
  {
    path: "/patient/appointments/:appointmentId/reschedule",
    roles: patient,
    render: ({ params }) => <Reschedule key={params.appointmentId} appointmentId={params.appointmentId!} />,
  },
  { path: "/patient/waitlist", roles: patient, nav: "Waitlist", render: () => <Waitlist /> },
  { path: "/patient/reviews", roles: patient, nav: "Rate visits", render: () => <Reviews /> },
  {
    path: "/patient/doctors/:doctorId/reviews",
    roles: patient,
    render: ({ params }) => <DoctorReviewsPage key={params.doctorId} doctorId={params.doctorId!} />,
  },
];
