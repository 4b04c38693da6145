/**
 * Reviews in the browser: the patient rates a completed visit from "Rate visits", the doctor replies
 * from their Reviews page, a clinic admin hides it (the public page and the rating follow).
 */
import { describe, expect, it } from "vitest";
import { buildClinicWithDoctor, buildPastAppointment, buildPerson } from "../support/factories";
import { query } from "../support/db";
import { pageSignedIn, screenshot, useBrowserStage } from "../support/browser";
import { ratingOf } from "./support";

describe("reviews (browser)", () => {
  const stage = useBrowserStage();

  it("patient rates, doctor replies, admin hides", async () => {
    const app = stage.app;
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    await query(app, `update doctor set display_name = 'Dr Reviewed' where id = ?`, [doctor.doctorId]);
    const { patient } = await buildPastAppointment(app, { doctorId: doctor.doctorId, clinicId, fullName: "Alice Mary Brown" });
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });

    const patientPage = await pageSignedIn(stage.browser, app.url, patient.user.email!);
    await patientPage.getByRole("link", { name: "Rate visits" }).click();
    const visit = patientPage.getByTestId("visits").getByRole("listitem").first();
    await visit.getByLabel("Your rating").selectOption("4");
    await visit.getByLabel("Your review (optional)").fill("Listened carefully");
    await visit.getByRole("button", { name: "Submit review" }).click();
    await visit.getByText("You rated this visit").waitFor();
    expect(await visit.getByRole("img", { name: "4 out of 5 stars" }).count()).toBe(1);
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: 4, count: 1 });

    const doctorPage = await pageSignedIn(stage.browser, app.url, doctor.user.email!);
    await doctorPage.getByRole("link", { name: "Reviews" }).click();
    const review = doctorPage.getByRole("listitem", { name: "Review by Alice B." });
    await review.getByText("Listened carefully").waitFor();
    await review.getByRole("button", { name: "Reply" }).click();
    await review.getByLabel("Your reply to Alice B.").fill("Thank you, Alice");
    await review.getByRole("button", { name: "Post reply" }).click();
    await review.getByText("Thank you, Alice").waitFor();
    await screenshot(doctorPage, "doctor-reviews");

    await patientPage.goto(`${app.url}/patient/doctors/${doctor.doctorId}/reviews`);
    await patientPage.getByText("The doctor replied:").waitFor();
    await patientPage.getByText("4.0").waitFor();

    const adminPage = await pageSignedIn(stage.browser, app.url, admin.user.email!);
    await adminPage.goto(`${app.url}/admin/reviews`);
    await adminPage.getByLabel("Doctor", { exact: true }).selectOption({ label: "Dr Reviewed" });
    const moderated = adminPage.getByRole("listitem", { name: "Review by Alice B." });
    await moderated.getByRole("button", { name: "Hide…" }).click();
    await moderated.getByLabel("Reason for hiding").fill("Test of moderation");
    await moderated.getByRole("button", { name: "Hide review" }).click();
    await moderated.getByText("Hidden: Test of moderation").waitFor();
    expect(await ratingOf(app, doctor.doctorId)).toEqual({ average: 0, count: 0 });

    await patientPage.reload();
    await patientPage.getByText("No reviews yet.").waitFor();
  });
});
