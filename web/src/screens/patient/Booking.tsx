/**
 * The hold: a countdown to its expiry, Confirm (free bookings) or Pay (the provider's checkout page;
 * its success/cancel URL brings the patient back here, `?payment=…`). The outcome arrives on the `me`
 * topic: booked once the payment webhook has run, or released. If the hold expires or the appointment
 * is released elsewhere, the patient is told and sent back to the doctor's week.
 */
import { useEffect, useId, useState } from "react";
import { appointmentViewSchema, checkoutReplySchema, isEventOf, type AppointmentView } from "@clinic/shared";
import { FormError, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api, ApiError } from "../../lib/api";
import { formatCountdown, formatDateTime, formatMoney } from "../../lib/format";
import { Link, navigate, useSearchParams } from "../../lib/router";
import { useLoad } from "../../lib/useLoad";
import { secondsUntil, useNow } from "../../lib/useNow";
import { loadClinics, loadDoctor } from "../../lib/directory";
import { setNotice, useMe } from "./common";
import { recentHold } from "./DoctorWeek";

export function Booking({ appointmentId }: { appointmentId: string }) {
  const loaded = useLoad(["booking", appointmentId], async (signal) => {
    const appointment = await api(`/appointments/${appointmentId}`, { schema: appointmentViewSchema, signal });
    const [doctor, clinics] = await Promise.all([loadDoctor(appointment.doctorId), loadClinics()]);
    return { appointment, doctor, clinic: clinics.find((c) => c.id === appointment.clinicId) };
  });
  return (
    <Async state={loaded.state} retry={() => void loaded.reload()}>
      {(data) => <Hold {...data} timeZone={data.clinic?.timeZone ?? "UTC"} clinicName={data.clinic?.name ?? ""}
        onChange={(appointment) => loaded.setData({ ...data, appointment })} />}
    </Async>
  );
}

function Hold({ appointment, doctor, timeZone, clinicName, onChange }: {
  appointment: AppointmentView;
  doctor: { id: string; displayName: string };
  timeZone: string;
  clinicName: string;
  onChange: (appointment: AppointmentView) => void;
}) {
  const id = useId();
  const pending = appointment.status === "pending";
  const now = useNow(pending);
  const left = secondsUntil(appointment.holdExpiresAt, now);
  const when = formatDateTime(appointment.start, timeZone);
  const week = `/patient/doctors/${doctor.id}`;
  const reply = recentHold.reply?.id === appointment.id ? recentHold.reply : null;
  const [released, setReleased] = useState(false);

  const lose = (message: string) => {
    setNotice(message);
    navigate(week);
  };

  // The hold lapsing, or being released elsewhere, ends this screen.
  useEffect(() => {
    if (pending && appointment.holdExpiresAt && left === 0) lose(`Your hold on ${when} expired and the slot was released. Please pick another time.`);
  }, [pending, left]);
  useMe((event) => {
    const data = event.data as { appointmentId?: string; status?: string };
    if (!isEventOf(event, "appointment") || data.appointmentId !== appointment.id) return;
    if (data.status === "expired") lose(`Your hold on ${when} expired and the slot was released. Please pick another time.`);
    else if (data.status === "cancelled" && !released) lose(`Your hold on ${when} was released. Please pick another time.`);
    else if (data.status === "scheduled") void api(`/appointments/${appointment.id}`, { schema: appointmentViewSchema }).then(onChange);
  });

  const confirm = useSubmit(async () => {
    try {
      onChange(await api(`/appointments/${appointment.id}/confirm`, { method: "POST", schema: appointmentViewSchema }));
    } catch (error) {
      if (error instanceof ApiError && error.code === "HOLD_EXPIRED") return lose(`Your hold on ${when} expired before it was confirmed. Please pick another time.`);
      throw error;
    }
  });
  // The hold's reply carries the checkout address; after a reload the payments API gives it again.
  const pay = useSubmit(async () => {
    const url = reply?.checkoutUrl
      ?? (await api(`/payments/appointments/${appointment.id}/checkout`, { method: "POST", schema: checkoutReplySchema })).checkoutUrl;
    window.location.assign(url);
  });
  const returned = useSearchParams().get("payment");
  const release = useSubmit(async () => {
    setReleased(true);
    await api(`/appointments/${appointment.id}/cancel`, { method: "POST", body: { reason: "Released by the patient before confirming" }, schema: appointmentViewSchema });
    if (!appointment.pendingMoveFrom) return lose(`You released ${when}.`);
    setNotice(`You kept your current time; ${when} was released.`);
    navigate("/patient/appointments");
  });

  const needsPayment = appointment.paymentStatus === "unpaid";
  const isMove = appointment.pendingMoveFrom !== null || (appointment.status === "scheduled" && appointment.rescheduledFrom !== null);
  const fee = formatMoney(appointment.feeMinor, appointment.currency);
  const total = formatMoney(appointment.feeMinor + appointment.transactionFeeMinor, appointment.currency);
  const due = formatMoney(appointment.amountDueMinor, appointment.currency);

  if (appointment.status === "scheduled") {
    return (
      <section className="panel booking-done" aria-labelledby={`${id}-done`}>
        <h1 id={`${id}-done`}>{isMove ? "Moved" : "Booked"}</h1>
        <p role="status"><strong>{when}</strong> with {doctor.displayName} at {clinicName} is booked{isMove ? "; your previous time was released" : ""}.</p>
        <p><Link to="/patient/appointments">See my appointments</Link></p>
      </section>
    );
  }
  if (!pending) {
    return (
      <section className="panel">
        <h1>This hold has ended</h1>
        <p>The appointment is {appointment.status.replace("_", " ")}.</p>
        <p><Link to={week}>Back to {doctor.displayName}'s week</Link></p>
      </section>
    );
  }
  return (
    <section className="panel booking" aria-labelledby={`${id}-hold`}>
      <h1 id={`${id}-hold`}>{appointment.pendingMoveFrom ? "Pay the difference to move your visit" : "Confirm your appointment"}</h1>
      <p><strong>{when}</strong> with {doctor.displayName} at {clinicName}</p>
      <p className="hold-timer">
        Held for you for <strong className="countdown" data-testid="hold-countdown">{formatCountdown(left)}</strong>
        <span className="visually-hidden"> minutes and seconds</span>
      </p>
      {reply?.warning && <p className="patient-warning" role="status">{reply.warning}</p>}
      <FormError message={confirm.formError ?? pay.formError ?? release.formError} />
      {needsPayment ? (
        <div className="payment-needed" role="status">
          <h2>Payment needed</h2>
          {appointment.pendingMoveFrom ? (
            <p>The new time costs {total} in all; you have paid for your visit already, so the difference is {due}. Your visit stays at its current time until the difference is paid.</p>
          ) : (
            <p>This booking has to be paid to be confirmed: {fee} consultation fee, {total} in total with the transaction fee.</p>
          )}
          {returned === "success" ? (
            <p data-testid="payment-waiting"><strong>Payment received by the provider</strong>; waiting for its confirmation. This page updates by itself.</p>
          ) : (
            <p>{returned === "cancelled" ? "The payment was not completed. " : ""}The slot stays held for you until the countdown ends.</p>
          )}
        </div>
      ) : (
        <p>This booking is free for you.</p>
      )}
      <div className="actions">
        {!needsPayment && (
          <button type="button" className="button" disabled={confirm.busy} onClick={() => void confirm.run()}>
            {confirm.busy ? "Confirming…" : "Confirm booking"}
          </button>
        )}
        {needsPayment && returned !== "success" && (
          <button type="button" className="button" disabled={pay.busy} onClick={() => void pay.run()}>
            {pay.busy ? "Opening checkout…" : `Pay ${due}`}
          </button>
        )}
        <button type="button" className="button button-quiet" disabled={release.busy} onClick={() => void release.run()}>
          {appointment.pendingMoveFrom ? "Keep my current time" : "Release this slot"}
        </button>
      </div>
    </section>
  );
}
