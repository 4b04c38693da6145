import { describe, expect, it } from "vitest";
import { authorize, can, type AccessScope, type Permission } from "../../server/src/modules/identity/access";
import type { UserPrincipal } from "../../server/src/modules/identity/principal";

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";

function principal(overrides: Partial<UserPrincipal>): UserPrincipal {
  return {
    kind: "user",
    id: "u",
    userId: "u",
    sessionId: "s",
    role: "patient",
    memberships: [],
    doctorId: null,
    doctorClinicIds: [],
    patientId: null,
    ...overrides,
  };
}

const people = {
  platformAdmin: principal({ userId: "admin", role: "platform_admin" }),
  adminOfA: principal({ userId: "ca", role: "clinic_admin", memberships: [{ clinicId: A, role: "clinic_admin" }] }),
  receptionOfA: principal({ userId: "rc", role: "receptionist", memberships: [{ clinicId: A, role: "receptionist" }] }),
  doctorAtA: principal({ userId: "dr", role: "doctor", doctorId: "doc-1", doctorClinicIds: [A] }),
  otherDoctor: principal({ userId: "dr2", role: "doctor", doctorId: "doc-2", doctorClinicIds: [B] }),
  patient: principal({ userId: "pat", role: "patient", patientId: "p-1" }),
  otherPatient: principal({ userId: "pat2", role: "patient", patientId: "p-2" }),
};
type Who = keyof typeof people;

const patientOfDoctor1 = { id: "p-1", userId: "pat", doctorIds: ["doc-1"], clinicIds: [A] };

/** [permission, scope, who may, who may not] */
const matrix: [Permission, AccessScope, Who[], Who[]][] = [
  ["clinic.create", {}, ["platformAdmin"], ["adminOfA", "receptionOfA", "doctorAtA", "patient"]],
  ["clinic.update", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
  ["clinic.update", { clinicId: B }, ["platformAdmin"], ["adminOfA", "receptionOfA"]],
  ["clinic.members.read", { clinicId: A }, ["platformAdmin", "adminOfA", "receptionOfA"], ["doctorAtA", "patient"]],
  ["clinic.members.manage", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "patient"]],
  ["clinic.services.manage", { clinicId: B }, ["platformAdmin"], ["adminOfA", "receptionOfA"]],
  ["doctor.profile.update", { doctorId: "doc-1" }, ["platformAdmin", "doctorAtA"], ["otherDoctor", "adminOfA", "patient"]],
  ["doctor.approve", {}, ["platformAdmin"], ["adminOfA", "doctorAtA"]],
  ["doctor.documents.read", { doctorId: "doc-1" }, ["platformAdmin", "doctorAtA"], ["otherDoctor", "adminOfA", "receptionOfA", "patient"]],
  ["doctor.credentials.submit", { doctorId: "doc-1" }, ["doctorAtA"], ["platformAdmin", "otherDoctor", "adminOfA"]],
  ["doctor.patients.read", { doctorId: "doc-1", doctorClinicIds: [A] }, ["platformAdmin", "doctorAtA", "receptionOfA"], ["otherDoctor", "patient"]],
  ["clinic.structure.manage", { clinicId: A }, ["platformAdmin"], ["adminOfA", "receptionOfA"]],
  ["specialty.manage", {}, ["platformAdmin"], ["adminOfA", "doctorAtA"]],
  ["doctor.clinics.manage", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA"]],
  ["doctor.contract.manage", { clinicId: A, doctorId: "doc-1" }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
  ["doctor.contract.manage", { clinicId: B, doctorId: "doc-2" }, ["platformAdmin"], ["adminOfA", "otherDoctor"]],
  ["doctor.unlisted.read", { doctorId: "doc-1", doctorClinicIds: [A] }, ["platformAdmin", "doctorAtA", "receptionOfA", "adminOfA"], ["otherDoctor", "patient"]],
  ["patient.read", { patient: patientOfDoctor1 }, ["platformAdmin", "patient", "doctorAtA", "receptionOfA", "adminOfA"], ["otherDoctor", "otherPatient"]],
  ["patient.clinical.read", { patient: patientOfDoctor1 }, ["patient", "doctorAtA"], ["platformAdmin", "receptionOfA", "adminOfA", "otherDoctor", "otherPatient"]],
  ["patient.update", { patient: patientOfDoctor1 }, ["platformAdmin", "patient"], ["doctorAtA", "receptionOfA", "otherPatient"]],
  ["patient.tier.update", {}, ["platformAdmin"], ["adminOfA", "patient"]],
  ["patient.loyalty.read", { patient: patientOfDoctor1 }, ["platformAdmin", "patient", "receptionOfA", "adminOfA"], ["doctorAtA", "otherDoctor", "otherPatient"]],
  // Relations: only an admin of a clinic where both doctor and patient are known, or the platform; never oneself.
  ["patient.relation.create", { doctorId: "doc-1", sharedClinicIds: [A] }, ["platformAdmin", "adminOfA"], ["doctorAtA", "receptionOfA", "otherDoctor", "patient"]],
  ["patient.relation.create", { doctorId: "doc-1", sharedClinicIds: [B] }, ["platformAdmin"], ["adminOfA", "receptionOfA", "doctorAtA"]],
  ["patient.relation.create", { doctorId: "doc-1", sharedClinicIds: [] }, ["platformAdmin"], ["adminOfA", "receptionOfA", "doctorAtA"]],
  ["patient.relation.end", { doctorId: "doc-1", sharedClinicIds: [A] }, ["platformAdmin", "adminOfA", "doctorAtA"], ["receptionOfA", "otherDoctor", "patient"]],
  ["patient.relation.end", { doctorId: "doc-1", sharedClinicIds: [] }, ["platformAdmin", "doctorAtA"], ["adminOfA", "receptionOfA", "otherDoctor"]],
  ["user.status.manage", {}, ["platformAdmin"], ["adminOfA", "doctorAtA"]],
  ["schedule.manage", { clinicId: A, doctorId: "doc-1" }, ["platformAdmin", "adminOfA", "receptionOfA", "doctorAtA"], ["otherDoctor", "patient"]],
  ["schedule.manage", { clinicId: B, doctorId: "doc-1" }, ["platformAdmin"], ["adminOfA", "receptionOfA", "doctorAtA"]],
  ["schedule.internal.read", { clinicId: A, doctorId: "doc-1" }, ["platformAdmin", "adminOfA", "receptionOfA", "doctorAtA"], ["otherDoctor", "patient"]],
  ["clinic.appointments.manage", { clinicId: A }, ["platformAdmin", "adminOfA", "receptionOfA"], ["doctorAtA", "patient", "otherDoctor"]],
  ["clinic.appointments.manage", { clinicId: B }, ["platformAdmin"], ["adminOfA", "receptionOfA"]],
  ["clinic.waitlist.manage", { clinicId: A }, ["platformAdmin", "adminOfA", "receptionOfA"], ["doctorAtA", "patient", "otherDoctor"]],
  ["clinic.waitlist.manage", { clinicId: B }, ["platformAdmin"], ["adminOfA", "receptionOfA"]],
  ["waitlist.read", { clinicId: A, doctorId: "doc-1" }, ["platformAdmin", "adminOfA", "receptionOfA", "doctorAtA"], ["otherDoctor", "patient"]],
  ["clinic.displays.manage", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
  ["clinic.displays.manage", { clinicId: B }, ["platformAdmin"], ["adminOfA"]],
  ["clinic.queue.metrics.read", { clinicId: A }, ["platformAdmin", "adminOfA", "receptionOfA", "doctorAtA"], ["otherDoctor", "patient"]],
  ["clinic.queue.metrics.read", { clinicId: B }, ["platformAdmin"], ["adminOfA", "receptionOfA", "doctorAtA"]],
  ["clinic.display.read", { clinicId: A }, ["platformAdmin", "adminOfA", "receptionOfA"], ["doctorAtA", "patient", "otherDoctor"]],
  ["clinic.queue.manage", { clinicId: A }, ["platformAdmin", "adminOfA", "receptionOfA"], ["doctorAtA", "patient", "otherDoctor"]],
  ["clinic.queue.manage", { clinicId: B }, ["platformAdmin"], ["adminOfA", "receptionOfA"]],
  ["queue.doctor.act", { clinicId: A, doctorId: "doc-1" }, ["platformAdmin", "adminOfA", "receptionOfA", "doctorAtA"], ["otherDoctor", "patient"]],
  ["queue.doctor.act", { clinicId: B, doctorId: "doc-2" }, ["platformAdmin", "otherDoctor"], ["adminOfA", "receptionOfA", "doctorAtA", "patient"]],
  // A handover: the clinic's admins and the giving doctor where they work; never reception or a colleague.
  ["appointments.handover", { clinicId: A, doctorId: "doc-1" }, ["platformAdmin", "adminOfA", "doctorAtA"], ["receptionOfA", "otherDoctor", "patient"]],
  ["appointments.handover", { clinicId: B, doctorId: "doc-1" }, ["platformAdmin"], ["adminOfA", "receptionOfA", "doctorAtA"]],
  ["platform.analytics.read", {}, ["platformAdmin"], ["adminOfA", "receptionOfA", "doctorAtA", "patient"]],
  ["clinic.analytics.read", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
  ["clinic.analytics.read", { clinicId: A, doctorId: "doc-1" }, ["platformAdmin", "adminOfA", "doctorAtA"], ["receptionOfA", "otherDoctor", "patient"]],
  ["clinic.schedule.manage", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
  ["audit.read", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
  ["audit.read", {}, ["platformAdmin"], ["adminOfA"]],
  ["queues.board", {}, ["platformAdmin"], ["adminOfA", "receptionOfA", "doctorAtA", "patient"]],
  ["notifications.outbox.read", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
  ["notifications.outbox.read", {}, ["platformAdmin"], ["adminOfA"]],
  ["review.write", { userId: "pat" }, ["patient"], ["otherPatient", "platformAdmin", "adminOfA", "doctorAtA"]],
  ["review.write", {}, [], ["patient", "platformAdmin"]],
  ["review.reply", { doctorId: "doc-1" }, ["doctorAtA"], ["otherDoctor", "platformAdmin", "adminOfA", "patient"]],
  ["review.moderate", { clinicId: A }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
  ["review.moderate", { clinicId: B }, ["platformAdmin"], ["adminOfA"]],
  ["payments.refund", { clinicId: A }, ["platformAdmin", "adminOfA", "receptionOfA"], ["doctorAtA", "patient", "otherDoctor"]],
  ["payments.refund", { clinicId: B }, ["platformAdmin"], ["adminOfA", "receptionOfA"]],
  ["wallet.read", { doctorId: "doc-1", doctorClinicIds: [A] }, ["platformAdmin", "doctorAtA", "adminOfA"], ["receptionOfA", "otherDoctor", "patient"]],
  ["wallet.read", { doctorId: "doc-2", doctorClinicIds: [B] }, ["platformAdmin", "otherDoctor"], ["adminOfA", "doctorAtA"]],
  ["wallet.payout", { doctorId: "doc-1", doctorClinicIds: [A] }, ["platformAdmin", "adminOfA"], ["receptionOfA", "doctorAtA", "patient"]],
];

describe("the guard", () => {
  it.each(matrix)("%s %j", (permission, scope, allowed, refused) => {
    for (const who of allowed) expect([who, can(people[who], permission, scope)]).toEqual([who, true]);
    for (const who of refused) expect([who, can(people[who], permission, scope)]).toEqual([who, false]);
  });

  it("refuses with 403, or hides with 404 when asked to", () => {
    expect(() => authorize(people.otherPatient, "patient.read", { patient: patientOfDoctor1 })).toThrow(
      expect.objectContaining({ status: 403, code: "FORBIDDEN" }),
    );
    expect(() => authorize(people.otherPatient, "patient.read", { patient: patientOfDoctor1 }, { hide: "Patient" })).toThrow(
      expect.objectContaining({ status: 404, code: "NOT_FOUND" }),
    );
    expect(() => authorize(people.patient, "patient.read", { patient: patientOfDoctor1 })).not.toThrow();
  });
});
