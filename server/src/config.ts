import path from "node:path";
import { z } from "zod";
import { processRoles } from "@clinic/shared";

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const port = z.coerce.number().int().min(0).max(65535);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    ROLE: z.enum(processRoles).default("all"),
    HOST: z.string().min(1).default("127.0.0.1"),
    PORT: port.default(3000),
    PUBLIC_URL: z.url().optional(),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    /** Namespaces every Redis key (queues, locks, sequences, adapter channels, rate limits). */
    REDIS_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, "letters, digits, _ and - only").default("clinic"),
    /** The longest a request waits on one Redis command (locks, limits, sequences, enqueues) before going on without it. */
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(500),
    DATA_DIR: z.string().min(1).default(".data"),
    /** Where uploaded files (doctors' credential documents) are kept on local disk; default DATA_DIR/files. */
    FILE_STORAGE_DIR: z.string().min(1).optional(),
    EMBEDDED_PG_PORT: port.default(55432),
    EMBEDDED_REDIS_PORT: port.default(56379),
    HOLD_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(600),
    /** How long a paid booking's hold waits for the payment (its hold, expired by the same job). */
    PAYMENT_WINDOW_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
    /** How long a waitlist offer holds its slot for the patient before it goes to the next one. */
    WAITLIST_OFFER_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /**
     * How often the database sweeps run (docs/worker.md): lapsed holds and waitlist offers expire,
     * past slots expire, probable no-shows are flagged, reminder jobs a Redis data loss took are re-planned.
     */
    LIFECYCLE_EVERY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** How often each node re-delivers domain events whose delivery failed or whose node died (docs/architecture.md). */
    DOMAIN_EVENTS_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
    /** How often the ETA sweep recomputes the ETAs of every doctor with an active queue (docs/queue-eta.md). */
    ETA_EVERY_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    /** The most a watched waiting-room feed lags a queue change (docs/queue.md, "The display feed"). */
    DISPLAY_FEED_DEBOUNCE_MS: z.coerce.number().int().min(0).max(5000).default(250),
    /** How far ahead slots are materialised from availability rules. */
    SLOT_HORIZON_DAYS: z.coerce.number().int().min(1).max(730).default(90),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    MIGRATE_ON_START: booleanFlag.default(true),
    DEMO_SEED: booleanFlag.optional(),
    RATE_LIMIT_MAX: z.coerce.number().int().positive().default(600),
    RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
    /** How often each node adds its rate-limit counts to Redis's and learns the cluster's (docs/operations.md, "Rate limiting"). */
    RATE_LIMIT_SYNC_MS: z.coerce.number().int().min(10).max(10_000).default(250),
    /** The whole shutdown, from the signal to the exit, the drain below included. */
    SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(20),
    /**
     * After SIGTERM, how long a node answers /ready with 503 while still serving everything else,
     * so that a load balancer takes it out of rotation before it stops accepting connections.
     */
    SHUTDOWN_DRAIN_SECONDS: z.coerce.number().min(0).max(3600).optional(),
    WORKER_HEARTBEAT_SECONDS: z.coerce.number().int().positive().default(15),
    /** How often each worker checks that the repeating jobs' schedulers are still in Redis (re-creating lost ones). */
    WORKER_SCHEDULE_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
    WEB_DIST_DIR: z.string().default("web/dist"),
    /** A worker's job lock: a killed worker's running jobs return to the queue this long after it died. */
    WORKER_LOCK_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
    /** Email: an SMTP URL (smtp://user:pass@host:port, smtps://…); unset means no email provider. */
    SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
    MAIL_FROM: z.string().min(3).default("Clinic Live <no-reply@clinic-live.local>"),
    /**
     * The development mailbox (docs/notifications.md): email goes to a mail catcher on loopback and is
     * read at GET /api/v1/dev/mailbox. Default: on in development when SMTP_URL is unset.
     */
    DEV_MAILBOX: booleanFlag.optional(),
    /** SMS through Twilio's REST API; all three of SID, token and sender are needed. */
    TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
    TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
    TWILIO_FROM: z.string().min(1).optional(),
    TWILIO_API_BASE: z.url({ protocol: /^https?$/ }).default("https://api.twilio.com"),
    /** Push: an HTTP endpoint taking {to, title, body} as JSON; unset means no push provider. */
    PUSH_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Tries per message (the first one included) and the first back-off, doubling after each. */
    NOTIFY_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
    NOTIFY_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(2000),
    /** How often queued outbox rows without a delivery job are picked up again. */
    OUTBOX_RELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
    /** Stripe (docs/payments.md): no key = the simulated provider outside production, none in production. */
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    /** Verifies webhook signatures; required with a key. */
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    /** Where the SDK sends API calls (tests point it at a stand-in); default Stripe's own. */
    STRIPE_API_URL: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Which X-Forwarded-For hops to believe for the client address (rate limits, audit): `false`
     * (direct), a hop count (`1` behind one load balancer), or a comma-separated list of proxy addresses.
     */
    TRUST_PROXY: z
      .string()
      .regex(/^(true|false|\d+|[\d.:a-fA-F/]+(,[\d.:a-fA-F/]+)*)$/, "false, true, a hop count or proxy addresses")
      .default("false"),
  })
  .superRefine((env, ctx) => {
    if (env.STRIPE_SECRET_KEY && !env.STRIPE_WEBHOOK_SECRET) {
      ctx.addIssue({ code: "custom", path: ["STRIPE_WEBHOOK_SECRET"], message: "is required with STRIPE_SECRET_KEY" });
    }
    if (env.SHUTDOWN_DRAIN_SECONDS !== undefined && env.SHUTDOWN_DRAIN_SECONDS >= env.SHUTDOWN_TIMEOUT_SECONDS) {
      ctx.addIssue({ code: "custom", path: ["SHUTDOWN_DRAIN_SECONDS"], message: "must be less than SHUTDOWN_TIMEOUT_SECONDS, which includes it" });
    }
    if (env.DEV_MAILBOX && env.SMTP_URL) {
      ctx.addIssue({ code: "custom", path: ["DEV_MAILBOX"], message: "is for when SMTP_URL is unset: with SMTP_URL email goes out for real" });
    }
    if (env.NODE_ENV !== "production") return;
    if (env.DEV_MAILBOX) {
      ctx.addIssue({ code: "custom", path: ["DEV_MAILBOX"], message: "the development mailbox is refused when NODE_ENV=production" });
    }
    for (const key of ["DATABASE_URL", "REDIS_URL", "JWT_SECRET", "PUBLIC_URL"] as const) {
      if (!env[key]) ctx.addIssue({ code: "custom", path: [key], message: "is required when NODE_ENV=production" });
    }
    if (env.DEMO_SEED) {
      ctx.addIssue({ code: "custom", path: ["DEMO_SEED"], message: "demo mode is refused when NODE_ENV=production" });
    }
  });

export type Env = z.input<typeof envSchema>;

/** A development-only signing secret, so `npm start` works with nothing configured. */
const DEV_JWT_SECRET = "clinic-live-development-secret-not-for-production";

export class ConfigError extends Error {
  constructor(readonly issues: { setting: string; message: string }[]) {
    super(
      `Invalid configuration:\n${issues.map((issue) => `  ${issue.setting}: ${issue.message}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ setting: issue.path.join(".") || "(environment)", message: issue.message })),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === "production",
    role: e.ROLE,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl: e.PUBLIC_URL,
      rateLimit: { max: e.RATE_LIMIT_MAX, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS, syncMs: e.RATE_LIMIT_SYNC_MS },
      webDistDir: path.resolve(e.WEB_DIST_DIR),
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
    },
    database: { url: e.DATABASE_URL, embeddedPort: e.EMBEDDED_PG_PORT, migrateOnStart: e.MIGRATE_ON_START },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX, embeddedPort: e.EMBEDDED_REDIS_PORT, commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS },
    dataDir,
    files: { dir: e.FILE_STORAGE_DIR ? path.resolve(e.FILE_STORAGE_DIR) : path.join(dataDir, "files") },
    booking: { holdTtlSeconds: e.HOLD_TTL_SECONDS, paymentWindowSeconds: e.PAYMENT_WINDOW_SECONDS, waitlistOfferSeconds: e.WAITLIST_OFFER_SECONDS, lifecycleEverySeconds: e.LIFECYCLE_EVERY_SECONDS },
    scheduling: { horizonDays: e.SLOT_HORIZON_DAYS },
    eta: { everySeconds: e.ETA_EVERY_SECONDS },
    display: { feedDebounceMs: e.DISPLAY_FEED_DEBOUNCE_MS },
    domainEvents: { sweepEverySeconds: e.DOMAIN_EVENTS_SWEEP_SECONDS },
    auth: { jwtSecret: e.JWT_SECRET ?? DEV_JWT_SECRET },
    demoSeed: e.DEMO_SEED ?? e.NODE_ENV !== "production",
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    shutdownDrainMs: Math.round((e.SHUTDOWN_DRAIN_SECONDS ?? defaultDrainSeconds(e)) * 1000),
    worker: { heartbeatSeconds: e.WORKER_HEARTBEAT_SECONDS, lockSeconds: e.WORKER_LOCK_SECONDS, scheduleCheckSeconds: e.WORKER_SCHEDULE_CHECK_SECONDS },
    notifications: {
      smtpUrl: e.SMTP_URL,
      mailFrom: e.MAIL_FROM,
      devMailbox: e.DEV_MAILBOX ?? (e.NODE_ENV === "development" && !e.SMTP_URL),
      twilio:
        e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN && e.TWILIO_FROM
          ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, from: e.TWILIO_FROM, apiBase: e.TWILIO_API_BASE }
          : undefined,
      pushWebhookUrl: e.PUSH_WEBHOOK_URL,
      attempts: e.NOTIFY_ATTEMPTS,
      backoffMs: e.NOTIFY_BACKOFF_MS,
      relaySeconds: e.OUTBOX_RELAY_SECONDS,
    },
    payments: {
      stripeSecretKey: e.STRIPE_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      apiUrl: e.STRIPE_API_URL,
    },
  };
}

export type Config = ReturnType<typeof loadConfig>;

/**
 * Behind a load balancer (production) 5 s, the time one that checks /ready every 1–2 s needs to
 * see two failures; at most a quarter of the shutdown, which must still finish the requests in
 * flight and close everything. None elsewhere: `npm start` and tests stop at once.
 */
function defaultDrainSeconds(env: { NODE_ENV: string; SHUTDOWN_TIMEOUT_SECONDS: number }): number {
  return env.NODE_ENV === "production" ? Math.min(5, env.SHUTDOWN_TIMEOUT_SECONDS / 4) : 0;
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === "true" || value === "false") return value === "true";
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(",");
}
