import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * The modules in layers (docs/architecture.md; server/src/modules/index.ts lists them in this order):
 * a module may import only modules before it, and only through their index. What a lower module needs
 * from a higher one goes through a port or a domain event.
 */
const MODULE_LAYERS = [
  "identity", "notifications", "directory", "audit", "scheduling", "booking",
  "loyalty", "reminders", "waitlist", "alerts", "payments", "handover", "queue", "reviews", "analytics",
];

const moduleRules = MODULE_LAYERS.map((name, index) => ({
  files: [`server/src/modules/${name}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          { regex: "^\\.\\./[a-z-]+/", message: "Import another module only through its index (`../<module>`)." },
          ...(index < MODULE_LAYERS.length - 1
            ? [{ regex: `^\\.\\./(${MODULE_LAYERS.slice(index + 1).join("|")})$`, message: `${name} may not import a module above it: use a port or a domain event.` }]
            : []),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/.tsbuild/**", ".data/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
    },
  },
  {
    files: ["web/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
  },
  ...moduleRules,
  {
    // Errors come from the factories in platform/errors.ts, whose codes shared/src/errors.ts lists with their status.
    files: ["server/src/**/*.ts"],
    ignores: ["server/src/platform/errors.ts"],
    rules: {
      "no-restricted-syntax": ["error", { selector: "NewExpression[callee.name='DomainError']", message: "Use a factory from platform/errors.ts (conflict, notFound, …)." }],
    },
  },
  {
    // The platform names no module (the composition root, server/src/app.ts, does).
    files: ["server/src/platform/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^\\.\\./(modules|seed|app)(/|$)", message: "The platform imports nothing from the modules." }] }],
    },
  },
);
