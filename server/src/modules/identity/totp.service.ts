/**
 * Two-factor sign-in with an authenticator app (RFC 6238 TOTP via otplib) and single-use backup
 * codes. Staff and admins may not turn it off once on.
 */
import { randomInt } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { generateSecret, generateURI, verify } from "otplib";
import type { UserRole } from "@clinic/shared";
import { conflict, denied, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { TotpBackupCode } from "./code.entity";
import { BACKUP_CODE_COUNT, TOTP_CHECK_PER_USER, TOTP_EPOCH_TOLERANCE_SECONDS, type Limits } from "./limits";
import { sha256 } from "./tokens";
import { UserAccount } from "./user.entity";

export const TOTP_ISSUER = "Clinic Live";
/** Roles for which two-factor, once enabled, stays required. */
export const TOTP_STICKY_ROLES: readonly UserRole[] = ["receptionist", "clinic_admin", "platform_admin"];

const BACKUP_ALPHABET = "abcdefghijklmnopqrstuvwxyz";
const BACKUP_CODE = /^([a-z]{4})-?([a-z]{4})-?([a-z]{4})$/;

const backupHash = (userId: string, code: string) => sha256(`${userId}:backup:${code}`);

function newBackupCode(): string {
  const letters = Array.from({ length: 12 }, () => BACKUP_ALPHABET[randomInt(BACKUP_ALPHABET.length)]).join("");
  return `${letters.slice(0, 4)}-${letters.slice(4, 8)}-${letters.slice(8)}`;
}

/** `abcd efgh ijkl`, `ABCDEFGHIJKL` and `abcd-efgh-ijkl` are the same backup code. */
function normaliseBackupCode(given: string): string | null {
  const match = BACKUP_CODE.exec(given.toLowerCase().replace(/\s+/g, ""));
  return match ? `${match[1]}-${match[2]}-${match[3]}` : null;
}

export async function totpMatches(secret: string, token: string): Promise<boolean> {
  if (!/^\d{6}$/.test(token)) return false;
  const result = await verify({ secret, token, epochTolerance: TOTP_EPOCH_TOLERANCE_SECONDS });
  return result.valid;
}

/**
 * Checks a second factor: a 6-digit authenticator code (refused when replayed) or an unused backup
 * code, which this uses up inside the caller's transaction.
 */
export async function checkSecondFactor(tx: EntityManager, limits: Limits, user: UserAccount, given: string): Promise<boolean> {
  if (/^\d{6}$/.test(given)) {
    if (!user.totpSecret || !(await totpMatches(user.totpSecret, given))) return false;
    return limits.claimTotp(user.id, given);
  }
  const code = normaliseBackupCode(given);
  if (!code) return false;
  const used = await tx.execute<{ id: string }[]>(
    "update totp_backup_code set used_at = now() where user_id = ? and code_hash = ? and used_at is null returning id",
    [user.id, backupHash(user.id, code)],
  );
  return used.length > 0;
}

const totpInvalid = () => unprocessable("TOTP_INVALID");

/** Starts enrolment: a fresh secret stored on the account, not active until confirmed with a code. */
export async function setupTotp(em: EntityManager, userId: string, actor: AuditActor): Promise<{ secret: string; otpauthUri: string }> {
  return em.transactional(async (tx) => {
    const user = await tx.findOneOrFail(UserAccount, { id: userId });
    if (user.totpEnabledAt) throw conflict("TOTP_ALREADY_ENABLED");
    const secret = generateSecret();
    user.totpSecret = secret;
    recordAudit(tx, actor, { action: "totp.setup", entityType: "user", entityId: user.id });
    const label = user.email ?? user.phone ?? user.id;
    return { secret, otpauthUri: generateURI({ issuer: TOTP_ISSUER, label, secret }) };
  });
}

/** Confirms enrolment with a current code; returns the backup codes (shown once, stored hashed). */
export async function enableTotp(
  em: EntityManager,
  limits: Limits,
  userId: string,
  code: string,
  actor: AuditActor,
): Promise<{ backupCodes: string[] }> {
  await limits.enforce(`totp:user:${userId}`, TOTP_CHECK_PER_USER);
  const user = await em.findOneOrFail(UserAccount, { id: userId });
  if (user.totpEnabledAt) throw conflict("TOTP_ALREADY_ENABLED");
  if (!user.totpSecret) throw conflict("TOTP_NOT_SET_UP");
  const secret = user.totpSecret;
  if (!(await totpMatches(secret, code))) throw totpInvalid();
  const backupCodes = Array.from({ length: BACKUP_CODE_COUNT }, newBackupCode);
  await em.transactional(async (tx) => {
    // Conditional: of two racing enables (or an enable racing a new setup) only one takes effect.
    const enabled = await tx.execute<{ id: string }[]>(
      "update user_account set totp_enabled_at = now() where id = ? and totp_enabled_at is null and totp_secret = ? returning id",
      [userId, secret],
    );
    if (enabled.length === 0) throw conflict("TOTP_ALREADY_ENABLED", "Two-factor sign-in changed meanwhile; start again");
    await tx.nativeDelete(TotpBackupCode, { user: userId });
    for (const backup of backupCodes) tx.create(TotpBackupCode, { user: userId, codeHash: backupHash(userId, backup) });
    recordAudit(tx, actor, { action: "totp.enable", entityType: "user", entityId: userId });
  });
  return { backupCodes };
}

/** Turns two-factor off with a current code or a backup code; refused for staff and admins. */
export async function disableTotp(em: EntityManager, limits: Limits, userId: string, code: string, actor: AuditActor): Promise<void> {
  const user = await em.findOneOrFail(UserAccount, { id: userId });
  if (TOTP_STICKY_ROLES.includes(user.role)) {
    throw denied("TOTP_REQUIRED_FOR_ROLE");
  }
  if (!user.totpEnabledAt) throw conflict("TOTP_NOT_ENABLED");
  await limits.enforce(`totp:user:${userId}`, TOTP_CHECK_PER_USER);
  await em.transactional(async (tx) => {
    if (!(await checkSecondFactor(tx, limits, user, code))) throw totpInvalid();
    await tx.execute("update user_account set totp_enabled_at = null, totp_secret = null where id = ?", [userId]);
    await tx.nativeDelete(TotpBackupCode, { user: userId });
    recordAudit(tx, actor, { action: "totp.disable", entityType: "user", entityId: userId });
  });
}
