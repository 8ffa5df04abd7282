// /settings/tokens — personal API tokens for the CLI and scripts.
import { listApiTokens } from "@graft/core";
import { getContext } from "@/server/context";
import { requirePageActor } from "@/server/pages";
import { TokenManager } from "@/components/TokenManager";

export const metadata = { title: "API tokens" };

export default async function TokensPage() {
  const actor = await requirePageActor("/settings/tokens");
  const tokens = await listApiTokens(getContext(), actor);
  return (
    <div className="stack">
      <h1>API tokens</h1>
      <p className="muted">
        Tokens let the <code>graft</code> CLI and scripts call the API as you: send <code>Authorization: Bearer graft_…</code>.
        A token can only do what its scopes allow; revoke it when you no longer need it.
      </p>
      <TokenManager
        tokens={tokens.map((t) => ({
          id: t.id,
          name: t.name,
          prefix: t.prefix,
          scopes: t.scopes,
          createdAt: t.createdAt.toISOString(),
          lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
          revokedAt: t.revokedAt?.toISOString() ?? null,
        }))}
      />
    </div>
  );
}
