/**
 * The one typed API client: every reply is parsed by its @clinic/shared schema, every failure is an
 * ApiError carrying the problem+json body (code, field errors) and a message for people: the
 * problem's detail, else the default message @clinic/shared ERRORS lists for its code. The bearer
 * token comes from the session store; an expired access token is refreshed once through POST /auth/refresh.
 */
import { PROBLEM_CONTENT_TYPE, errorMessage, problemSchema, tokenPairSchema, type ErrorCode, type Problem } from "@clinic/shared";
import { sessionStore } from "./session";

export const API_BASE = "/api/v1";
// Refresh this long before the access token's expiry, so a request in flight does not race it.
const REFRESH_MARGIN_MS = 30_000;
const REQUEST_TIMEOUT_MS = 15_000;

interface Schema<T> {
  parse(value: unknown): T;
}

const withoutLocation = (field: string) => field.replace(/^(body|query|params)\./, "");

/** The client's own codes: no reply at all, or a reply that is not problem+json (a proxy's page). */
type ClientErrorCode = "NETWORK" | "UNEXPECTED";

export class ApiError extends Error {
  readonly status: number;
  /** One of the shared ERRORS codes (typed so a misspelt comparison does not compile), or the client's own. */
  readonly code: ErrorCode | ClientErrorCode;
  readonly problem: Problem | null;

  constructor(status: number, problem: Problem | null, fallback: string) {
    super(problem?.detail ?? (problem && errorMessage(problem.code)) ?? problem?.title ?? fallback);
    this.name = "ApiError";
    this.status = status;
    this.code = (problem?.code as ErrorCode | undefined) ?? (status === 0 ? "NETWORK" : "UNEXPECTED");
    this.problem = problem;
  }

  /** Field errors by field name without its location prefix: `body.email` → `email`. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const error of this.problem?.errors ?? []) out[withoutLocation(error.field)] = error.message;
    return out;
  }

  /** The problem's top-level `field` (one input the whole problem is about), without its prefix. */
  get field(): string | null {
    const field = this.problem?.field;
    return typeof field === "string" && field ? withoutLocation(field) : null;
  }
}

export interface SendOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Sent as JSON, unless `contentType` is given: then sent as it is (a string or a Blob). */
  body?: unknown;
  /** The body's content type for a raw body (`text/csv`); omit for JSON. */
  contentType?: string;
  /** Extra request headers (`Idempotency-Key`). */
  headers?: Record<string, string>;
  /** false: no Authorization header (sign-in, refresh). A string: that bearer (display tokens). */
  auth?: boolean | string;
  signal?: AbortSignal;
}

export interface RequestOptions<T> extends SendOptions {
  /** Parses a 2xx reply; omit for 204 replies. */
  schema?: Schema<T>;
}

async function send(path: string, options: SendOptions, bearer: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: `application/json, ${PROBLEM_CONTENT_TYPE}`, ...options.headers };
  if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const raw = options.contentType !== undefined;
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  try {
    return await fetch(`${API_BASE}${path}`, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : raw ? (options.body as BodyInit) : JSON.stringify(options.body),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(0, null, "Cannot reach the server. Check the connection and try again.");
  }
}

async function toError(response: Response): Promise<ApiError> {
  let problem: Problem | null = null;
  try {
    const parsed = problemSchema.safeParse(await response.json());
    if (parsed.success) problem = parsed.data;
  } catch {
    // Not JSON (a proxy's error page): the status alone has to do.
  }
  return new ApiError(response.status, problem, `The server answered HTTP ${response.status}.`);
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time: concurrent 401s share it (refresh tokens rotate, a second use is refused). */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const session = sessionStore.get();
    if (!session) return false;
    try {
      const response = await send("/auth/refresh", { method: "POST", body: { refreshToken: session.refreshToken } }, null);
      if (!response.ok) {
        if (response.status === 401) sessionStore.set(null);
        return false;
      }
      sessionStore.updateTokens(tokenPairSchema.parse(await response.json()));
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** A valid access token, refreshed first when it is about to expire; null when signed out. */
export async function accessToken(): Promise<string | null> {
  const session = sessionStore.get();
  if (!session) return null;
  if (session.expiresAt - Date.now() < REFRESH_MARGIN_MS) await refreshSession();
  return sessionStore.get()?.accessToken ?? null;
}

/** The 2xx response of one request (refreshing the token and retrying once on a 401); else an ApiError. */
async function request(path: string, options: SendOptions): Promise<Response> {
  const useSession = options.auth === undefined || options.auth === true;
  const bearer = typeof options.auth === "string" ? options.auth : useSession ? await accessToken() : null;
  // The retry sends the same options, so an Idempotency-Key is reused as the server expects.
  let response = await send(path, options, bearer);
  if (response.status === 401 && useSession && bearer && (await refreshSession())) {
    response = await send(path, options, sessionStore.get()?.accessToken ?? null);
  }
  if (!response.ok) throw await toError(response);
  return response;
}

export async function api<T = void>(path: string, options: RequestOptions<T> = {}): Promise<T> {
  const response = await request(path, options);
  if (!options.schema) return undefined as T;
  const body: unknown = await response.json();
  return options.schema.parse(body);
}

/** A file reply (CSV, iCalendar…) as a Blob, with the same tokens and errors as api(). */
export async function apiDownload(path: string, options: SendOptions = {}): Promise<Blob> {
  return (await request(path, { ...options, headers: { accept: "*/*", ...options.headers } })).blob();
}

/**
 * Saves a file reply as `fileName` in the browser's downloads: exports need the bearer token, so a
 * plain link cannot fetch them.
 */
export async function saveDownload(path: string, fileName: string): Promise<void> {
  const url = URL.createObjectURL(await apiDownload(path));
  Object.assign(document.createElement("a"), { href: url, download: fileName }).click();
  URL.revokeObjectURL(url);
}

/** A random `Idempotency-Key` (getRandomValues works outside secure contexts too, unlike randomUUID). */
export function idempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
