/**
 * The one guard: every route's access is decided here from role + clinic membership + ownership.
 * Routes name a permission and pass the facts about the target (its clinic, its owner); the rule
 * table below is the whole policy.
 */
import type { ClinicRole } from "@clinic/shared";
import { forbidden, notFound } from "../../platform/errors";
import type { UserPrincipal } from "./principal";

/** Facts about the target of an action, loaded by the caller. */
export interface AccessScope {
  clinicId?: string;
  doctorId?: string;
  /** The clinics a doctor target works at (for staff acting on a doctor). */
  doctorClinicIds?: string[];
  userId?: string;
  /**
   * For a doctor–patient relation: the clinics where both are known — the doctor works there and
   * the patient has or had an appointment there. Only their clinic admins may relate the two.
   */
  sharedClinicIds?: string[];
  patient?: {
    id: string;
    userId: string;
    /** Doctors with a relation to this patient (an appointment alone does not make a doctor theirs). */
    doctorIds: string[];
    /** Clinics where one of those doctors works. */
    clinicIds: string[];
  };
}

const isPlatformAdmin = (p: UserPrincipal) => p.role === "platform_admin";
const holds = (p: UserPrincipal, clinicId: string | undefined, roles: ClinicRole[]) =>
  clinicId !== undefined && p.memberships.some((m) => m.clinicId === clinicId && roles.includes(m.role));
/** A receptionist or clinic admin of the clinic: its staff by membership (the platform admin is not). */
const isClinicStaff = (p: UserPrincipal, clinicId?: string) => holds(p, clinicId, ["receptionist", "clinic_admin"]);
const isClinicAdminOf = (p: UserPrincipal, clinicId?: string) => holds(p, clinicId, ["clinic_admin"]);
const isClinicStaffOfAny = (p: UserPrincipal, clinicIds: string[] = []) => clinicIds.some((id) => isClinicStaff(p, id));

/**
 * Whether the principal may do at a clinic what its front desk does (book for patients, act on its
 * appointments and queue, read its day): the clinic's staff, and the platform admin.
 */
export function actsAsClinicStaff(p: UserPrincipal, clinicId?: string): boolean {
  return isPlatformAdmin(p) || isClinicStaff(p, clinicId);
}

/** The first of `clinicIds` the principal is a clinic admin of (the clinic that justifies an admin's act), or null. */
export function adminClinicAmong(p: UserPrincipal, clinicIds: string[] = []): string | null {
  return clinicIds.find((id) => isClinicAdminOf(p, id)) ?? null;
}

const rules = {
  "clinic.create": (p: UserPrincipal) => isPlatformAdmin(p),
  /** Deactivating, reactivating or re-parenting a clinic (branches) is the platform's call. */
  "clinic.structure.manage": (p: UserPrincipal) => isPlatformAdmin(p),
  "specialty.manage": (p: UserPrincipal) => isPlatformAdmin(p),
  "clinic.update": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  "clinic.members.read": (p: UserPrincipal, s: AccessScope) => actsAsClinicStaff(p, s.clinicId),
  "clinic.members.manage": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  "clinic.services.manage": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  "doctor.profile.update": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || (p.doctorId !== null && p.doctorId === s.doctorId),
  /** Credentials are the doctor's own statement: nobody submits them on their behalf. */
  "doctor.credentials.submit": (p: UserPrincipal, s: AccessScope) => p.doctorId !== null && p.doctorId === s.doctorId,
  "doctor.approve": (p: UserPrincipal) => isPlatformAdmin(p),
  /** Credential documents: the doctor and the platform that approves (not clinic staff: ids, certificates). */
  "doctor.documents.read": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || (p.doctorId !== null && p.doctorId === s.doctorId),
  "doctor.clinics.manage": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  /** Employment type and weekly hours cap: they bind the doctor's own rule writes, so never the doctor. */
  "doctor.contract.manage": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  "doctor.unlisted.read": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) || (p.doctorId !== null && p.doctorId === s.doctorId) || isClinicStaffOfAny(p, s.doctorClinicIds),
  "patient.read": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) ||
    p.userId === s.patient?.userId ||
    (p.doctorId !== null && (s.patient?.doctorIds ?? []).includes(p.doctorId)) ||
    isClinicStaffOfAny(p, s.patient?.clinicIds),
  /** Clinical data: the patient and their own doctors only; not reception, not admins. */
  "patient.clinical.read": (p: UserPrincipal, s: AccessScope) =>
    p.userId === s.patient?.userId || (p.doctorId !== null && (s.patient?.doctorIds ?? []).includes(p.doctorId)),
  "patient.update": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || p.userId === s.patient?.userId,
  "patient.tier.update": (p: UserPrincipal) => isPlatformAdmin(p),
  /** Loyalty balance and history: the patient, staff of a clinic the patient booked or earned points at, the platform. */
  "patient.loyalty.read": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) || p.userId === s.patient?.userId || isClinicStaffOfAny(p, s.patient?.clinicIds),
  /**
   * A relation opens the patient's clinical data to the doctor, so nobody grants it to themself: only
   * an admin of a clinic where both are known (scope.sharedClinicIds), or the platform.
   */
  "patient.relation.create": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || adminClinicAmong(p, s.sharedClinicIds) !== null,
  /** Ending one only takes access away: also the doctor themself (not reception). */
  "patient.relation.end": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) || (p.doctorId !== null && p.doctorId === s.doctorId) || adminClinicAmong(p, s.sharedClinicIds) !== null,
  "doctor.patients.read": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) || (p.doctorId !== null && p.doctorId === s.doctorId) || isClinicStaffOfAny(p, s.doctorClinicIds),
  "user.status.manage": (p: UserPrincipal) => isPlatformAdmin(p),
  /** A doctor's schedule at a clinic: the doctor (if they work there), that clinic's staff, the platform. */
  "schedule.manage": (p: UserPrincipal, s: AccessScope) =>
    actsAsClinicStaff(p, s.clinicId) ||
    (p.doctorId !== null && p.doctorId === s.doctorId && s.clinicId !== undefined && p.doctorClinicIds.includes(s.clinicId)),
  /** Internal schedule detail (notes, tags, blocked and walk-in slots): the same people. */
  "schedule.internal.read": (p: UserPrincipal, s: AccessScope) =>
    actsAsClinicStaff(p, s.clinicId) || (p.doctorId !== null && p.doctorId === s.doctorId),
  /** Booking for patients and acting on a clinic's appointments: any staff member there, the platform. */
  "clinic.appointments.manage": (p: UserPrincipal, s: AccessScope) => actsAsClinicStaff(p, s.clinicId),
  /** Putting a patient on a clinic's waitlist, setting priorities, answering offers for them. */
  "clinic.waitlist.manage": (p: UserPrincipal, s: AccessScope) => actsAsClinicStaff(p, s.clinicId),
  /** Reading a clinic's or a doctor's waitlist: its staff, the doctor, the platform. */
  "waitlist.read": (p: UserPrincipal, s: AccessScope) =>
    actsAsClinicStaff(p, s.clinicId) || (p.doctorId !== null && p.doctorId === s.doctorId),
  /**
   * Handing a doctor's appointments over to a colleague at a clinic: its admins, the platform, and
   * the doctor themself where they work (reception reassigns only patients already in the queue).
   */
  "appointments.handover": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) ||
    isClinicAdminOf(p, s.clinicId) ||
    (p.doctorId !== null && p.doctorId === s.doctorId && s.clinicId !== undefined && p.doctorClinicIds.includes(s.clinicId)),
  /**
   * A clinic's analytics (docs/analytics.md): its admins and the platform see the clinic and every
   * doctor; a doctor working there sees their own figures only (the route fixes `doctorId` to them).
   */
  /** Every clinic's figures side by side and the platform's sign-ups. */
  "platform.analytics.read": (p: UserPrincipal) => isPlatformAdmin(p),
  "clinic.analytics.read": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) ||
    isClinicAdminOf(p, s.clinicId) ||
    (p.doctorId !== null && p.doctorId === s.doctorId && s.clinicId !== undefined && p.doctorClinicIds.includes(s.clinicId)),
  /** Clinic-wide calendar decisions: holidays, booking rules, templates, overbooking. */
  "clinic.schedule.manage": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  /** Waiting-room screens: creating, listing and revoking a clinic's display tokens. */
  "clinic.displays.manage": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  /** Watching a clinic's display feed as a person (display tokens have their own, narrower rule). */
  "clinic.display.read": (p: UserPrincipal, s: AccessScope) => actsAsClinicStaff(p, s.clinicId),
  /** The live waiting queue at reception: check-in, walk-ins, reorder, reassign, mark left, the clinic's queue list. */
  "clinic.queue.manage": (p: UserPrincipal, s: AccessScope) => actsAsClinicStaff(p, s.clinicId),
  /** A doctor's queue actions (call next, start, finish, send back, no-show) and view: the doctor, the clinic's staff, the platform. */
  "queue.doctor.act": (p: UserPrincipal, s: AccessScope) =>
    actsAsClinicStaff(p, s.clinicId) || (p.doctorId !== null && s.doctorId !== undefined && p.doctorId === s.doctorId),
  /** Today's queue figures of a clinic: its staff, the platform, and doctors working there (their own row only: the route filters). */
  "clinic.queue.metrics.read": (p: UserPrincipal, s: AccessScope) =>
    actsAsClinicStaff(p, s.clinicId) || (p.doctorId !== null && s.clinicId !== undefined && p.doctorClinicIds.includes(s.clinicId)),
  /** The queue dashboard (/admin/queues): every clinic's jobs, so the platform only. */
  "queues.board": (p: UserPrincipal) => isPlatformAdmin(p),
  "audit.read": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) || (s.clinicId !== undefined && isClinicAdminOf(p, s.clinicId)),
  /** What the notification outbox did (status, masked recipient, never the payload): a clinic's admins see their clinic's rows. */
  "notifications.outbox.read": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  /** Reviewing an appointment: only the patient it belongs to (scope.userId = the patient's account). */
  "review.write": (p: UserPrincipal, s: AccessScope) => s.userId !== undefined && p.userId === s.userId,
  /** Replying to a review (and reading its doctor's hidden ones): the reviewed doctor only. */
  "review.reply": (p: UserPrincipal, s: AccessScope) => p.doctorId !== null && p.doctorId === s.doctorId,
  /** Hiding and unhiding reviews: the admins of the reviewed appointment's clinic, the platform. */
  "review.moderate": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || isClinicAdminOf(p, s.clinicId),
  /** Refunding a paid appointment outside the policy (with a reason): the clinic's staff, the platform. */
  "payments.refund": (p: UserPrincipal, s: AccessScope) => actsAsClinicStaff(p, s.clinicId),
  /** A doctor's wallet: the doctor, admins of a clinic the doctor works at, the platform. */
  "wallet.read": (p: UserPrincipal, s: AccessScope) =>
    isPlatformAdmin(p) || (p.doctorId !== null && p.doctorId === s.doctorId) || (s.doctorClinicIds ?? []).some((id) => isClinicAdminOf(p, id)),
  /** Paying a doctor out: the platform, admins of a clinic the doctor works at. */
  "wallet.payout": (p: UserPrincipal, s: AccessScope) => isPlatformAdmin(p) || (s.doctorClinicIds ?? []).some((id) => isClinicAdminOf(p, id)),
} satisfies Record<string, (p: UserPrincipal, s: AccessScope) => boolean>;

export type Permission = keyof typeof rules;

export function can(principal: UserPrincipal, permission: Permission, scope: AccessScope = {}): boolean {
  return rules[permission](principal, scope);
}

/**
 * Throws 403 FORBIDDEN, or 404 NOT_FOUND when `hide` is set: for things the caller may not even
 * know exist (another patient's record), a refusal must not confirm they do.
 */
export function authorize(
  principal: UserPrincipal,
  permission: Permission,
  scope: AccessScope = {},
  options: { hide?: string } = {},
): void {
  if (can(principal, permission, scope)) return;
  if (options.hide) throw notFound(options.hide);
  throw forbidden(`Not allowed: ${permission}`);
}
