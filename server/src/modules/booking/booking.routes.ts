/** Booking routes (docs/booking.md): each handler validates (zod), guards, calls the service. */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  appointmentHistorySchema,
  appointmentListSchema,
  appointmentViewSchema,
  cancelAppointmentRequestSchema,
  changeAppointmentStatusRequestSchema,
  createAppointmentReplySchema,
  createAppointmentRequestSchema,
  type CreateAppointmentReply,
  dayPatientListSchema,
  dayQuerySchema,
  idempotencyHeadersSchema,
  idParams,
  myAppointmentsQuerySchema,
  rescheduleAppointmentReplySchema,
  rescheduleAppointmentRequestSchema,
} from "@clinic/shared";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { forbidden } from "../../platform/errors";
import { actorOf } from "../../platform/audit";
import { authorizePatientRead } from "../directory";
import { actsAsClinicStaff, requireUser } from "../identity";
import { dayAppointments, dayPatients, myAppointments, patientHistory } from "./appointment.query";
import { BookingService } from "./booking.service";
import { idempotencyContext } from "./idempotency";
import { RescheduleService } from "./reschedule.service";

const tags = ["booking"];

export function bookingRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const service = new BookingService(ctx);
    const reschedules = new RescheduleService(ctx, service);
    const em = () => ctx.orm.em.fork() as unknown as EntityManager;

    app.post(
      "/appointments",
      {
        schema: {
          tags,
          summary: "Hold a slot: a pending appointment (Idempotency-Key accepted); 409 SLOT_TAKEN / SLOT_BUSY",
          headers: idempotencyHeadersSchema,
          body: createAppointmentRequestSchema,
          response: { 201: createAppointmentReplySchema },
        },
      },
      async (request, reply) => {
        const principal = requireUser(request);
        const idem = idempotencyContext(principal.userId, request.headers["idempotency-key"], "POST /appointments", request.body);
        const answer = await service.hold(principal, actorOf(request), request.body, idem);
        // A paid hold's Checkout URL (docs/payments.md); a replayed answer gets the same session.
        return reply.code(answer.status as 201).send((await ctx.ports.checkout.withUrl(answer.body as CreateAppointmentReply, request)) as never);
      },
    );

    app.post(
      "/appointments/:appointmentId/confirm",
      { schema: { tags, summary: "Confirm a free hold while it is live (409 HOLD_EXPIRED, PAYMENT_REQUIRED)", params: idParams("appointmentId"), response: { 200: appointmentViewSchema } } },
      async (request) => service.confirm(requireUser(request), actorOf(request), request.params.appointmentId),
    );

    app.post(
      "/appointments/:appointmentId/cancel",
      {
        schema: {
          tags,
          summary: "Cancel (patients before the clinic's cutoff; staff any time); frees the slot",
          params: idParams("appointmentId"),
          body: cancelAppointmentRequestSchema,
          response: { 200: appointmentViewSchema },
        },
      },
      async (request) => service.cancel(requireUser(request), actorOf(request), request.params.appointmentId, request.body.reason),
    );

    app.post(
      "/appointments/:appointmentId/reschedule",
      {
        schema: {
          tags,
          summary: "Move to another slot atomically: new appointment, old one cancelled (reason rescheduled); a paid visit's payment moves with it (next: pay when a dearer time owes the difference)",
          params: idParams("appointmentId"),
          body: rescheduleAppointmentRequestSchema,
          response: { 200: rescheduleAppointmentReplySchema },
        },
      },
      async (request) => {
        const moved = await reschedules.reschedule(requireUser(request), actorOf(request), request.params.appointmentId, request.body);
        // A move that owes money gets its Checkout URL as a hold does (docs/payments.md).
        const { checkoutUrl } = await ctx.ports.checkout.withUrl({ id: moved.appointment.id, next: moved.next, checkoutUrl: null as string | null }, request);
        return { ...moved, checkoutUrl };
      },
    );

    app.post(
      "/appointments/:appointmentId/status",
      {
        schema: {
          tags,
          summary: "Change status through the state machine (the appointment's doctor or clinic staff; 409 ILLEGAL_TRANSITION)",
          params: idParams("appointmentId"),
          body: changeAppointmentStatusRequestSchema,
          response: { 200: appointmentViewSchema },
        },
      },
      async (request) =>
        service.changeStatus(requireUser(request), actorOf(request), request.params.appointmentId, request.body.status, request.body.reason ?? null),
    );

    app.get(
      "/appointments",
      { schema: { tags, summary: "The caller's own appointments (scope=mine)", querystring: myAppointmentsQuerySchema, response: { 200: appointmentListSchema } } },
      async (request) => {
        const principal = requireUser(request);
        if (!principal.patientId) throw forbidden("Only patients have their own appointments");
        return { items: await myAppointments(em(), principal.patientId, request.query.when) };
      },
    );

    app.get(
      "/appointments/:appointmentId",
      { schema: { tags, summary: "One appointment (the patient, its doctor, the clinic's staff)", params: idParams("appointmentId"), response: { 200: appointmentViewSchema } } },
      async (request) => service.read(requireUser(request), request.params.appointmentId),
    );

    /** The clinics of the doctor whose day the caller may read: all for the doctor and the platform, else the ones they staff. */
    async function dayScope(request: FastifyRequest<{ Params: { doctorId: string } }>): Promise<string[] | null> {
      const principal = requireUser(request);
      const { doctorId } = request.params;
      if (principal.doctorId === doctorId || principal.role === "platform_admin") return null;
      const rows = await em().execute<{ clinic_id: string }[]>(`select clinic_id from doctor_clinic where doctor_id = ?`, [doctorId]);
      const clinicIds = rows.map((row) => row.clinic_id).filter((clinicId) => actsAsClinicStaff(principal, clinicId));
      if (!clinicIds.length) throw forbidden("Not allowed to read this doctor's day");
      return clinicIds;
    }

    app.get(
      "/doctors/:doctorId/day",
      { schema: { tags, summary: "A doctor's appointments on a local date (the doctor, staff of its clinics)", params: idParams("doctorId"), querystring: dayQuerySchema, response: { 200: appointmentListSchema } } },
      async (request) => {
        const clinicIds = await dayScope(request);
        return { items: await dayAppointments(em(), { doctorId: request.params.doctorId, clinicIds }, request.query.date) };
      },
    );

    app.get(
      "/doctors/:doctorId/day/patients",
      {
        schema: {
          tags,
          summary: "The names of the patients of a doctor's appointments on a local date (same readers as the day)",
          params: idParams("doctorId"),
          querystring: dayQuerySchema,
          response: { 200: dayPatientListSchema },
        },
      },
      async (request) => {
        const clinicIds = await dayScope(request);
        return { items: await dayPatients(em(), { doctorId: request.params.doctorId, clinicIds }, request.query.date) };
      },
    );

    app.get(
      "/clinics/:clinicId/day",
      { schema: { tags, summary: "A clinic's appointments on a local date (staff)", params: idParams("clinicId"), querystring: dayQuerySchema, response: { 200: appointmentListSchema } } },
      async (request) => {
        const principal = requireUser(request);
        const { clinicId } = request.params;
        if (!actsAsClinicStaff(principal, clinicId)) throw forbidden("Not allowed to read this clinic's day");
        return { items: await dayAppointments(em(), { clinicId, clinicIds: null }, request.query.date) };
      },
    );

    app.get(
      "/patients/:patientId/appointments/history",
      {
        schema: {
          tags,
          summary: "A patient's past appointments and no-show standing (whoever may read the patient: the patient, their doctors, staff of those doctors' clinics, platform admin)",
          params: idParams("patientId"),
          response: { 200: appointmentHistorySchema },
        },
      },
      async (request) => {
        const patient = await authorizePatientRead(em(), requireUser(request), request.params.patientId);
        return patientHistory(em(), patient.id);
      },
    );
  };
}
