// / — what Graft is, how it works, and the newest vectors.
import Link from "next/link";
import { searchCatalog } from "@graft/core";
import { getContext } from "@/server/context";
import { VectorCard } from "@/components/VectorCard";

export default async function HomePage() {
  const newest = await searchCatalog(getContext(), { sort: "new", page: 1, pageSize: 6 });
  return (
    <div>
      <section className="hero">
        <h1>Fine-tuning, traded as task vectors.</h1>
        <p>
          A task vector is what fine-tuning changed: the fine-tuned weights minus the foundation weights. Graft is an exchange for
          them — teams publish immutable, versioned vectors against a registered foundation model; others find, buy or trade,
          download and merge them into their own models.
        </p>
        <form action="/catalog" method="get" className="searchbar" role="search" style={{ maxWidth: 620 }}>
          <input type="search" name="q" placeholder="Search vectors: medical, code, style, safety…" aria-label="Search vectors" data-testid="home-search" />
          <button type="submit">Search</button>
        </form>
      </section>

      <section className="steps">
        <div className="card">
          <h3>1 · Register a foundation</h3>
          <p className="muted small">Upload a base checkpoint (or point at one on the server). Graft fingerprints every tensor.</p>
        </div>
        <div className="card">
          <h3>2 · Publish vectors</h3>
          <p className="muted small">Upload a task vector, a fine-tuned checkpoint or a LoRA adapter. Graft checks it against the foundation.</p>
        </div>
        <div className="card">
          <h3>3 · Discover &amp; trade</h3>
          <p className="muted small">Search by task, tags, licence and price. Free, paid or trade-only listings.</p>
        </div>
        <div className="card">
          <h3>4 · Merge</h3>
          <p className="muted small">Download vectors and merge them into your foundation with the graft CLI.</p>
        </div>
      </section>

      <div className="spread">
        <h2>Newest vectors</h2>
        <Link href="/catalog?sort=new">Browse the catalog →</Link>
      </div>
      {newest.items.length === 0 ? (
        <p className="muted">
          Nothing published yet. <Link href="/publish">Publish the first vector</Link>.
        </p>
      ) : (
        <div className="grid" data-testid="newest-vectors">
          {newest.items.map((v) => (
            <VectorCard key={v.id} vector={v} />
          ))}
        </div>
      )}
    </div>
  );
}
