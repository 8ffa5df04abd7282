/**
 * A loopback HTTP server that answers like api.stripe.com for the endpoints
 * Graft uses: form-encoded requests in (bracket notation, as stripe-node
 * sends them), Stripe-shaped JSON out, bearer-key authentication, and
 * Idempotency-Key handling (a replay returns the first response with
 * `Idempotent-Replayed: true`; the same key with other parameters is a 400).
 * Test helpers move objects along (pay a session, finish onboarding) and
 * return the webhook event Stripe would send, signed by the real library.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import qs from "qs";
import Stripe from "stripe";
import { account, accountLink, checkoutSession, event, newId, now, refund, type Params, type StripeObject } from "./objects";

export interface RecordedRequest {
  method: string;
  path: string;
  params: Params;
  idempotencyKey: string | null;
  /** True when the answer was a stored response for a repeated Idempotency-Key. */
  replayed: boolean;
  status: number;
}

export interface Charge {
  id: string;
  paymentIntent: string;
  amount: number;
  currency: string;
  metadata: Record<string, string>;
  destination: string | null;
  applicationFeeAmount: number | null;
}

export interface FakeStripeOptions {
  secretKey?: string;
  webhookSecret?: string;
  port?: number;
}

export interface SignedDelivery {
  payload: string;
  signature: string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; message: string; code?: string; param?: string },
  ) {
    super(body.message);
  }
}

const missing = (kind: string, id: string) =>
  new ApiError(404, { type: "invalid_request_error", code: "resource_missing", param: "id", message: `No such ${kind}: '${id}'` });

export class FakeStripe {
  readonly secretKey: string;
  readonly webhookSecret: string;
  readonly requests: RecordedRequest[] = [];
  readonly sessions = new Map<string, StripeObject>();
  readonly accounts = new Map<string, StripeObject>();
  readonly refunds = new Map<string, StripeObject>();
  /** Charges by payment intent id, created when a session is paid. */
  readonly charges = new Map<string, Charge>();
  private readonly idempotent = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  private readonly signer = new Stripe("sk_test_signer");
  private server = createServer((req, res) => void this.handle(req, res));
  port = 0;

  constructor(opts: FakeStripeOptions = {}) {
    this.secretKey = opts.secretKey ?? "sk_test_graft_fake";
    this.webhookSecret = opts.webhookSecret ?? "whsec_graft_fake";
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What a stripe-node client needs to talk to this server instead of api.stripe.com. */
  get clientConfig(): { host: string; port: number; protocol: "http" } {
    return { host: "127.0.0.1", port: this.port, protocol: "http" };
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP -------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    const params: Params = qs.parse(method === "GET" ? url.search.slice(1) : raw, { depth: 10, arrayLimit: 100 });
    const key = (req.headers["idempotency-key"] as string | undefined) ?? null;
    const record: RecordedRequest = { method, path: url.pathname, params, idempotencyKey: key, replayed: false, status: 0 };
    this.requests.push(record);

    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json", "request-id": newId("req"), ...headers });
      res.end(JSON.stringify(body));
    };

    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
    }
    const fingerprint = `${method} ${url.pathname} ${raw}`;
    if (key && method === "POST") {
      const stored = this.idempotent.get(key);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          return send(400, {
            error: {
              type: "idempotency_error",
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            },
          });
        }
        record.replayed = true;
        return send(stored.status, stored.body, { "idempotent-replayed": "true", "idempotency-key": key });
      }
    }
    let status = 200;
    let body: unknown;
    try {
      body = this.route(method, url.pathname, params);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status = e.status;
      body = { error: e.body };
    }
    if (key && method === "POST") this.idempotent.set(key, { fingerprint, status, body });
    send(status, body, key ? { "idempotency-key": key } : {});
  }

  private route(method: string, path: string, params: Params): unknown {
    const parts = path.split("/").filter(Boolean);
    const is = (m: string, ...segments: (string | null)[]) =>
      method === m && parts.length === segments.length && segments.every((s, i) => s === null || s === parts[i]);
    if (is("POST", "v1", "checkout", "sessions")) return this.createSession(params);
    if (is("GET", "v1", "checkout", "sessions", null)) return this.sessions.get(parts[3]!) ?? raise(missing("checkout.session", parts[3]!));
    if (is("POST", "v1", "accounts")) return this.store(this.accounts, account(params));
    if (is("GET", "v1", "accounts", null)) return this.accounts.get(parts[2]!) ?? raise(missing("account", parts[2]!));
    if (is("POST", "v1", "account_links")) {
      if (!this.accounts.has(params.account)) throw missing("account", String(params.account));
      return accountLink(params, this.url);
    }
    if (is("POST", "v1", "refunds")) return this.createRefund(params);
    throw new ApiError(404, { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` });
  }

  private store(map: Map<string, StripeObject>, obj: StripeObject): StripeObject {
    map.set(obj.id, obj);
    return obj;
  }

  private createSession(params: Params): StripeObject {
    for (const name of ["success_url", "line_items"]) {
      if (!params[name]) throw new ApiError(400, { type: "invalid_request_error", param: name, message: `Missing required param: ${name}.` });
    }
    const destination = params.payment_intent_data?.transfer_data?.destination;
    if (destination && !this.accounts.has(destination)) throw missing("account", destination);
    const session = checkoutSession(params, this.url);
    // Kept out of the returned object (Stripe does not echo it) but needed when the session is paid.
    Object.defineProperty(session, "payment_intent_data", { value: params.payment_intent_data ?? {}, enumerable: false });
    return this.store(this.sessions, session);
  }

  private createRefund(params: Params): StripeObject {
    const charge = params.payment_intent ? this.charges.get(params.payment_intent) : undefined;
    if (!charge) throw missing("payment_intent", String(params.payment_intent ?? ""));
    const already = [...this.refunds.values()].filter((r) => r.payment_intent === charge.paymentIntent).reduce((s, r) => s + r.amount, 0);
    if (already >= charge.amount) {
      throw new ApiError(400, { type: "invalid_request_error", code: "charge_already_refunded", message: `Charge ${charge.id} has already been refunded.` });
    }
    return this.store(this.refunds, refund(params, charge));
  }

  // ---- what happens on Stripe's side, as events ------------------------------------------

  /** The customer pays: the session completes, a payment intent and charge exist; returns checkout.session.completed. */
  completeCheckout(sessionId: string): StripeObject {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`no checkout session ${sessionId}`);
    if (session.status !== "complete") {
      const pid = (session as { payment_intent_data?: Params }).payment_intent_data ?? {};
      const paymentIntent = newId("pi");
      this.charges.set(paymentIntent, {
        id: newId("ch"),
        paymentIntent,
        amount: session.amount_total,
        currency: session.currency,
        metadata: pid.metadata ?? {},
        destination: pid.transfer_data?.destination ?? null,
        applicationFeeAmount: pid.application_fee_amount === undefined ? null : Number(pid.application_fee_amount),
      });
      Object.assign(session, { status: "complete", payment_status: "paid", payment_intent: paymentIntent });
    }
    return event("checkout.session.completed", { ...session });
  }

  private chargeObject(paymentIntent: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const c = this.charges.get(paymentIntent);
    if (!c) throw new Error(`no charge for ${paymentIntent}`);
    return {
      id: c.id,
      object: "charge",
      amount: c.amount,
      currency: c.currency,
      payment_intent: c.paymentIntent,
      metadata: c.metadata,
      application_fee_amount: c.applicationFeeAmount,
      transfer_data: c.destination ? { destination: c.destination, amount: null } : null,
      paid: true,
      refunded: false,
      amount_refunded: 0,
      created: now(),
      ...extra,
    };
  }

  /** charge.refunded for a paid payment intent (fully refunded). */
  chargeRefunded(paymentIntent: string): StripeObject {
    const c = this.charges.get(paymentIntent);
    return event("charge.refunded", this.chargeObject(paymentIntent, { refunded: true, amount_refunded: c?.amount ?? 0 }));
  }

  /** charge.dispute.created for a paid payment intent. */
  disputeCreated(paymentIntent: string): StripeObject {
    const c = this.charges.get(paymentIntent);
    if (!c) throw new Error(`no charge for ${paymentIntent}`);
    return event("charge.dispute.created", {
      id: newId("dp"),
      object: "dispute",
      amount: c.amount,
      currency: c.currency,
      charge: c.id,
      payment_intent: c.paymentIntent,
      reason: "fraudulent",
      status: "needs_response",
      created: now(),
    });
  }

  /** The seller finishes (or changes) Express onboarding; returns account.updated as a Connect event. */
  updateAccount(accountId: string, patch: { charges_enabled?: boolean; payouts_enabled?: boolean; details_submitted?: boolean }): StripeObject {
    const acct = this.accounts.get(accountId);
    if (!acct) throw new Error(`no account ${accountId}`);
    Object.assign(acct, patch);
    return event("account.updated", { ...acct }, { account: accountId });
  }

  /** A webhook delivery: the JSON body and its Stripe-Signature header, signed with the webhook secret (or another). */
  sign(evt: StripeObject, opts: { secret?: string; timestamp?: number } = {}): SignedDelivery {
    const payload = JSON.stringify(evt, null, 2);
    const signature = this.signer.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? this.webhookSecret, timestamp: opts.timestamp });
    return { payload, signature };
  }

  /** POSTs a signed event to a webhook endpoint, as Stripe does; returns the endpoint's status and body. */
  async deliver(endpoint: string, evt: StripeObject, opts: { secret?: string; timestamp?: number } = {}): Promise<{ status: number; body: any }> {
    const { payload, signature } = this.sign(evt, opts);
    const res = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": signature }, body: payload });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body };
  }

  /** Requests made to one path (e.g. "/v1/checkout/sessions"), in order. */
  requestsTo(path: string, method = "POST"): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && r.method === method);
  }
}

function raise(e: Error): never {
  throw e;
}

export async function startFakeStripe(opts: FakeStripeOptions = {}): Promise<FakeStripe> {
  return new FakeStripe(opts).listen(opts.port ?? 0);
}
