// Payment settings: Stripe with keys, test payments only outside production, none in production.
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env";

const ROOT = "/srv/graft";
const SECRET = { NEXTAUTH_SECRET: "x".repeat(32) };

describe("payment settings", () => {
  it("use test payments outside production and refuse paid checkout in production when there are no Stripe keys", () => {
    expect(parseEnv({ NODE_ENV: "development" }, ROOT).env.payments.mode).toBe("test");
    const prod = parseEnv({ NODE_ENV: "production", ...SECRET }, ROOT);
    expect(prod.env.deployment).toBe("production");
    expect(prod.env.payments.mode).toBe("disabled");
    // A production build served locally (npm start) opts in with GRAFT_DEPLOYMENT=local.
    expect(parseEnv({ NODE_ENV: "production", GRAFT_DEPLOYMENT: "local", ...SECRET }, ROOT).env.payments.mode).toBe("test");
  });

  it("use Stripe when keys are set, with the platform fee and an optional API host for tests", () => {
    const { env } = parseEnv(
      { STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_WEBHOOK_SECRET: "whsec_abc", PLATFORM_FEE_PERCENT: "7.5", STRIPE_API_HOST: "127.0.0.1", STRIPE_API_PORT: "4010", STRIPE_API_PROTOCOL: "http" },
      ROOT,
    );
    expect(env.payments).toEqual({
      mode: "stripe",
      secretKey: "sk_test_abc",
      webhookSecret: "whsec_abc",
      platformFeePercent: 7.5,
      apiOverride: { host: "127.0.0.1", port: 4010, protocol: "http" },
    });
    expect(parseEnv({}, ROOT).env.payments.platformFeePercent).toBe(10);
  });

  it("reports bad payment settings one line each, without echoing secrets", () => {
    try {
      parseEnv({ STRIPE_SECRET_KEY: "pk_live_oops", PLATFORM_FEE_PERCENT: "150", GRAFT_DEPLOYMENT: "staging" }, ROOT);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EnvError);
      const problems = (e as EnvError).problems;
      expect(problems.find((p) => p.startsWith("STRIPE_SECRET_KEY"))).toMatch(/secret key/);
      expect(problems.find((p) => p.startsWith("STRIPE_SECRET_KEY"))).not.toContain("pk_live_oops");
      expect(problems.find((p) => p.startsWith("PLATFORM_FEE_PERCENT"))).toMatch(/0–100/);
      expect(problems.find((p) => p.startsWith("GRAFT_DEPLOYMENT"))).toMatch(/production or local/);
      expect(problems.find((p) => p.startsWith("STRIPE_WEBHOOK_SECRET"))).toMatch(/required with STRIPE_SECRET_KEY/);
    }
  });
});
