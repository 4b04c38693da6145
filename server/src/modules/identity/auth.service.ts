/**
 * Accounts: registration, verification, sign-in and passwords. Every function takes an
 * EntityManager, the limiter port and the acting client (`AuditActor`), and knows nothing of HTTP.
 * Passwords, codes and tokens are never logged or audited.
 */
import { randomBytes } from "node:crypto";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { NotificationChannel, User } from "@clinic/shared";
import { conflict, denied, unauthenticated } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import type { CodePurpose } from "./code.entity";
import { checkCode, codeInvalid, consumeCode, issueCode } from "./codes.service";
import {
  CODE_CHECK_PER_ACCOUNT,
  CODE_CHECK_PER_IP,
  CODE_SEND_PER_ACCOUNT,
  CODE_SEND_PER_IP,
  LOGIN_PER_IP,
  PASSWORD_CHANGE_PER_USER,
  REGISTER_PER_IP,
  accountKey,
  type Identifier,
  type Limits,
} from "./limits";
import { hashPassword, verifyPassword } from "./password";
import { revokeUserSessions, startSession, type TokenPair } from "./session.service";
import { checkSecondFactor } from "./totp.service";
import { UserAccount } from "./user.entity";
import { userView } from "./user.view";
import type { AccountMessages, AccountProfiles } from "./identity.ports";

export interface AuthDeps {
  limits: Limits;
  jwtSecret: string;
  profiles: AccountProfiles;
  messages: AccountMessages;
}

export const VERIFY_TEMPLATE = "identity.verify-code";
export const RESET_TEMPLATE = "identity.reset-code";

/** Normalises the request's `{email?, phone?}` (the schema guarantees exactly one). */
export function identifierOf(input: { email?: string; phone?: string }): Identifier {
  return input.email !== undefined ? { email: input.email } : { phone: input.phone as string };
}

const findByIdentifier = (em: EntityManager, id: Identifier) =>
  em.findOne(UserAccount, id.email !== undefined ? { email: id.email } : { phone: id.phone });

const ipKey = (actor: AuditActor) => actor.ip ?? "unknown";
const asUser = (actor: AuditActor, user: UserAccount): AuditActor => ({ ...actor, userId: user.id, role: user.role });
const channelOf = (id: Identifier): { channel: NotificationChannel; recipient: string } =>
  id.email !== undefined ? { channel: "email", recipient: id.email } : { channel: "sms", recipient: id.phone };
const verifiedAtField = (id: Identifier) => (id.email !== undefined ? "emailVerifiedAt" : "phoneVerifiedAt");

// Unknown accounts still cost one argon2 verification, so timing does not tell them apart.
let decoyHash: Promise<string> | undefined;
const decoy = () => (decoyHash ??= hashPassword(randomBytes(16).toString("hex")));

/** Issues a code and queues its message, inside the caller's transaction. */
async function sendCode(tx: EntityManager, messages: AccountMessages, user: UserAccount, id: Identifier, purpose: CodePurpose): Promise<string> {
  const code = await issueCode(tx, user, purpose);
  return messages.enqueue(tx, {
    userId: user.id,
    ...channelOf(id),
    template: purpose === "verify" ? VERIFY_TEMPLATE : RESET_TEMPLATE,
    payload: { code, name: user.displayName },
  });
}

// ------------------------------------------------------------------ registration and verification

export interface RegisterInput {
  email?: string;
  phone?: string;
  password: string;
  name: string;
  role: "patient" | "doctor";
}

export async function register(em: EntityManager, deps: AuthDeps, input: RegisterInput, actor: AuditActor): Promise<{ userId: string }> {
  await deps.limits.enforce(`register:ip:${ipKey(actor)}`, REGISTER_PER_IP);
  const id = identifierOf(input);
  const passwordHash = await hashPassword(input.password);
  try {
    const { userId, messageId } = await em.transactional(async (tx) => {
      const user = tx.create(UserAccount, {
        email: id.email ?? null,
        phone: id.phone ?? null,
        passwordHash,
        role: input.role,
        displayName: input.name,
        status: "active",
      });
      deps.profiles.create(tx, user, { role: input.role, name: input.name, email: id.email ?? null, phone: id.phone ?? null });
      // The account must exist before its code row locks it.
      await tx.flush();
      const messageId = await sendCode(tx, deps.messages, user, id, "verify");
      recordAudit(tx, asUser(actor, user), {
        action: "user.register",
        entityType: "user",
        entityId: user.id,
        after: { role: user.role, via: id.email !== undefined ? "email" : "phone" },
      });
      return { userId: user.id, messageId };
    });
    await deps.messages.dispatch([messageId]);
    return { userId };
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw conflict("ACCOUNT_EXISTS", `An account with this ${id.email !== undefined ? "email" : "phone number"} already exists`);
    }
    throw error;
  }
}

/** Limits every code check, per client address and per account (known or not). */
async function limitCodeCheck(deps: AuthDeps, id: Identifier, actor: AuditActor): Promise<void> {
  await deps.limits.enforce(`code-check:ip:${ipKey(actor)}`, CODE_CHECK_PER_IP);
  await deps.limits.enforce(`code-check:account:${accountKey(id)}`, CODE_CHECK_PER_ACCOUNT);
}

export async function verifyAccount(
  em: EntityManager,
  deps: AuthDeps,
  input: { email?: string; phone?: string; code: string },
  actor: AuditActor,
): Promise<void> {
  const id = identifierOf(input);
  await limitCodeCheck(deps, id, actor);
  const user = await findByIdentifier(em, id);
  if (!user || user.status !== "active") throw codeInvalid();
  const codeId = await checkCode(em, user.id, "verify", input.code);
  await em.transactional(async (tx) => {
    await consumeCode(tx, codeId);
    const field = verifiedAtField(id);
    await tx.nativeUpdate(UserAccount, { id: user.id, [field]: null }, { [field]: new Date() });
    recordAudit(tx, asUser(actor, user), { action: "user.verify", entityType: "user", entityId: user.id, after: { verified: field } });
  });
}

/**
 * Sends a fresh code of `purpose` to an eligible account, within the send limits. Callers answer
 * "accepted" either way: whether the account exists is not revealed.
 */
async function sendCodeIfEligible(
  em: EntityManager,
  deps: AuthDeps,
  id: Identifier,
  actor: AuditActor,
  purpose: CodePurpose,
  eligible: (user: UserAccount) => boolean,
  action: string,
): Promise<void> {
  await deps.limits.enforce(`code-send:ip:${ipKey(actor)}`, CODE_SEND_PER_IP);
  await deps.limits.enforce(`code-send:${purpose}:${accountKey(id)}`, CODE_SEND_PER_ACCOUNT);
  const user = await findByIdentifier(em, id);
  if (!user || user.status !== "active" || !eligible(user)) return;
  const messageId = await em.transactional(async (tx) => {
    const sent = await sendCode(tx, deps.messages, user, id, purpose);
    recordAudit(tx, asUser(actor, user), { action, entityType: "user", entityId: user.id });
    return sent;
  });
  await deps.messages.dispatch([messageId]);
}

/** Always "accepted": whether the account exists (or is already verified) is not revealed. */
export function resendVerification(
  em: EntityManager,
  deps: AuthDeps,
  input: { email?: string; phone?: string },
  actor: AuditActor,
): Promise<void> {
  const id = identifierOf(input);
  return sendCodeIfEligible(em, deps, id, actor, "verify", (user) => !user[verifiedAtField(id)], "user.verify_code.send");
}

// ------------------------------------------------------------------------------------- sign-in

export interface LoginInput {
  email?: string;
  phone?: string;
  password: string;
  totp?: string;
}

const invalidCredentials = () => unauthenticated("INVALID_CREDENTIALS");

export async function login(em: EntityManager, deps: AuthDeps, input: LoginInput, actor: AuditActor): Promise<TokenPair & { user: User }> {
  const { limits } = deps;
  const id = identifierOf(input);
  const account = accountKey(id);
  await limits.enforce(`login:ip:${ipKey(actor)}`, LOGIN_PER_IP);
  await limits.assertNotLocked(account);

  const user = await findByIdentifier(em, id);
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? (await decoy()));
  if (!user || !passwordOk) {
    await limits.loginFailed(account);
    throw invalidCredentials();
  }
  if (user.status !== "active") throw denied("ACCOUNT_DEACTIVATED");
  if (!user[verifiedAtField(id)]) {
    throw denied("ACCOUNT_UNVERIFIED");
  }
  if (user.totpEnabledAt && input.totp === undefined) {
    throw unauthenticated("TOTP_REQUIRED");
  }

  const signedIn = await em.transactional(async (tx) => {
    if (user.totpEnabledAt && !(await checkSecondFactor(tx, limits, user, input.totp ?? ""))) return null;
    const session = startSession(tx, deps.jwtSecret, user, { ip: actor.ip, userAgent: actor.userAgent });
    recordAudit(tx, asUser(actor, user), {
      action: "session.login",
      entityType: "session",
      entityId: session.sessionId,
      after: { secondFactor: Boolean(user.totpEnabledAt) },
    });
    return session;
  });
  if (!signedIn) {
    await limits.loginFailed(account);
    throw unauthenticated("TOTP_INVALID");
  }
  await limits.loginSucceeded(account);
  return {
    accessToken: signedIn.accessToken,
    refreshToken: signedIn.refreshToken,
    expiresIn: signedIn.expiresIn,
    user: await userView(em, user, deps.profiles),
  };
}

// ------------------------------------------------------------------------------------ passwords

/** Always "accepted": whether the account exists is not revealed. */
export function forgotPassword(
  em: EntityManager,
  deps: AuthDeps,
  input: { email?: string; phone?: string },
  actor: AuditActor,
): Promise<void> {
  return sendCodeIfEligible(em, deps, identifierOf(input), actor, "reset", () => true, "password.reset_code.send");
}

export async function resetPassword(
  em: EntityManager,
  deps: AuthDeps,
  input: { email?: string; phone?: string; code: string; newPassword: string },
  actor: AuditActor,
): Promise<void> {
  const id = identifierOf(input);
  await limitCodeCheck(deps, id, actor);
  const user = await findByIdentifier(em, id);
  if (!user || user.status !== "active") throw codeInvalid();
  const codeId = await checkCode(em, user.id, "reset", input.code);
  const passwordHash = await hashPassword(input.newPassword);
  await em.transactional(async (tx) => {
    await consumeCode(tx, codeId);
    const field = verifiedAtField(id);
    const now = new Date();
    await tx.nativeUpdate(UserAccount, { id: user.id }, { passwordHash, passwordChangedAt: now });
    await tx.nativeUpdate(UserAccount, { id: user.id, [field]: null }, { [field]: now });
    const revoked = await revokeUserSessions(tx, user.id, "password_reset");
    recordAudit(tx, asUser(actor, user), {
      action: "password.reset",
      entityType: "user",
      entityId: user.id,
      after: { sessionsRevoked: revoked.length },
    });
  });
  await deps.limits.loginSucceeded(accountKey(id));
}

/** Changes the password of the signed-in user; every other session of theirs ends. */
export async function changePassword(
  em: EntityManager,
  deps: AuthDeps,
  who: { userId: string; sessionId: string },
  input: { currentPassword: string; newPassword: string },
  actor: AuditActor,
): Promise<void> {
  await deps.limits.enforce(`password-change:user:${who.userId}`, PASSWORD_CHANGE_PER_USER);
  const user = await em.findOneOrFail(UserAccount, { id: who.userId });
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw denied("INVALID_CURRENT_PASSWORD");
  }
  const passwordHash = await hashPassword(input.newPassword);
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(UserAccount, { id: user.id }, { passwordHash, passwordChangedAt: new Date() });
    const revoked = await revokeUserSessions(tx, user.id, "password_change", who.sessionId);
    recordAudit(tx, actor, { action: "password.change", entityType: "user", entityId: user.id, after: { sessionsRevoked: revoked.length } });
  });
}
