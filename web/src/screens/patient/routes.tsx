import type { ScreenRoute } from "../../lib/routes";
import { lazyScreen } from "../../lib/lazy";
import "./patient.css";

/** This area's screens, one chunk loaded when the first of them opens (lib/lazy.ts). */
const screens = () => import("./screens");
const Booking = lazyScreen(screens, (m) => m.Booking);
const DoctorWeek = lazyScreen(screens, (m) => m.DoctorWeek);
const FindDoctor = lazyScreen(screens, (m) => m.FindDoctor);
const MyAppointments = lazyScreen(screens, (m) => m.MyAppointments);
const Reschedule = lazyScreen(screens, (m) => m.Reschedule);
const DoctorReviewsPage = lazyScreen(screens, (m) => m.DoctorReviewsPage);
const Reviews = lazyScreen(screens, (m) => m.Reviews);
const Waitlist = lazyScreen(screens, (m) => m.Waitlist);

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
