/**
 * Sign-up (POST /auth/register) as a patient or a doctor: name, email, password; the server's field
 * errors land on their fields. On success the same page asks for the emailed code and then signs
 * the new account in (a doctor lands on their credentials, which approval needs).
 */
import { useId, useState } from "react";
import { registerResponseSchema } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";
import { Link } from "../../lib/router";
import { VerifyCode } from "./Verify";

export function Register() {
  const id = useId();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<"patient" | "doctor">("patient");
  const [registered, setRegistered] = useState<string | null>(null);

  const submit = useSubmit(async () => {
    const body = { name: name.trim(), email: email.trim(), password, role };
    await api("/auth/register", { method: "POST", auth: false, body, schema: registerResponseSchema });
    setRegistered(body.email);
  }, { fieldCodes: { ACCOUNT_EXISTS: "email" } });

  if (registered) {
    return (
      <>
        <VerifyCode email={registered} password={password} landing={role === "doctor" ? "/doctor/credentials" : "/"} />
        <p className="account-links">
          <button type="button" className="link-button" onClick={() => setRegistered(null)}>Use a different email</button>
        </p>
      </>
    );
  }

  return (
    <>
      <section className="panel narrow" aria-labelledby={`${id}-heading`}>
        <h1 id={`${id}-heading`}>Create an account</h1>
        <p>Patients book and manage their appointments. Doctors join with their registration and documents, and are listed once approved. Clinic staff are set up by their clinic.</p>
        <form onSubmit={submit.onSubmit()} noValidate>
          <FormError message={submit.formError} />
          <fieldset className="account-choice">
            <legend>I am</legend>
            <label><input type="radio" name={`${id}-role`} checked={role === "patient"} onChange={() => setRole("patient")} /> a patient</label>
            <label><input type="radio" name={`${id}-role`} checked={role === "doctor"} onChange={() => setRole("doctor")} /> a doctor</label>
          </fieldset>
          <TextField label="Full name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)}
            error={submit.fieldErrors.name} />
          <TextField label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)}
            error={submit.fieldErrors.email} hint="We send a code to this address to confirm it is yours." />
          <TextField label="Password" type="password" autoComplete="new-password" value={password}
            onChange={(e) => setPassword(e.target.value)} error={submit.fieldErrors.password} hint="Use 8 or more characters." />
          <button type="submit" className="button" disabled={submit.busy}>{submit.busy ? "Creating account…" : "Create account"}</button>
        </form>
      </section>
      <p className="account-links">
        <Link to="/sign-in">I already have an account</Link>
        <Link to="/verify">I have a verification code</Link>
      </p>
    </>
  );
}
