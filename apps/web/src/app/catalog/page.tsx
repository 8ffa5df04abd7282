// /catalog — full-text search with filters, sorting and pagination. A plain
// GET form, so the whole search state lives in the URL (shareable, works
// without JavaScript).
import Link from "next/link";
import { listFoundations, listTags, listTasks, searchCatalog, type CatalogPage } from "@graft/core";
import { catalogParamsSchema, searchParamsRecord, toCatalogQuery, type CatalogParams } from "@/server/catalog-query";
import { getContext } from "@/server/context";
import { VectorCard } from "@/components/VectorCard";

export const metadata = { title: "Catalog" };

type SearchParams = Record<string, string | string[] | undefined>;

function pageHref(sp: SearchParams, page: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(sp)) {
    if (k === "page" || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) if (one !== "") params.append(k, one);
  }
  if (page > 1) params.set("page", String(page));
  const qs = params.toString();
  return qs ? `/catalog?${qs}` : "/catalog";
}

export default async function CatalogPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const ctx = getContext();
  const parsed = catalogParamsSchema.safeParse(searchParamsRecord(sp));
  const params: CatalogParams = parsed.success ? parsed.data : {};
  const error = parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  const [result, foundations, tasks, tags] = await Promise.all([
    searchCatalog(ctx, toCatalogQuery(params)).catch((): CatalogPage => ({ items: [], total: 0, page: 1, pageSize: 20 })),
    listFoundations(ctx),
    listTasks(ctx),
    listTags(ctx),
  ]);
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const tagText = params.tags?.join(", ") ?? "";

  return (
    <div>
      <h1>Catalog</h1>
      <form method="get" action="/catalog" className="catalog" data-testid="catalog-form">
        <aside className="filters card" aria-label="Filters">
          <label>
            Foundation
            <select name="foundation" defaultValue={params.foundation ?? ""} data-testid="filter-foundation">
              <option value="">Any</option>
              {foundations.map((f) => (
                <option key={f.id} value={f.slug}>
                  {f.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Task
            <select name="task" defaultValue={params.task ?? ""} data-testid="filter-task">
              <option value="">Any</option>
              {tasks.map((t) => (
                <option key={t.task} value={t.task}>
                  {t.task} ({t.count})
                </option>
              ))}
            </select>
          </label>
          <label>
            Tags <span className="hint">comma-separated, all must match</span>
            <input type="text" name="tags" list="known-tags" defaultValue={tagText} data-testid="filter-tags" />
            <datalist id="known-tags">
              {tags.map((t) => (
                <option key={t.tag} value={t.tag} />
              ))}
            </datalist>
          </label>
          <label>
            Licence
            <select name="licence" defaultValue={params.licence ?? ""} data-testid="filter-licence">
              <option value="">Any</option>
              <option value="personal">Personal</option>
              <option value="commercial">Commercial</option>
            </select>
          </label>
          <label>
            Listing
            <select name="listing" defaultValue={params.listing ?? ""} data-testid="filter-listing">
              <option value="">Any</option>
              <option value="free">Free</option>
              <option value="paid">Paid</option>
              <option value="trade">Trade</option>
            </select>
          </label>
          <label>
            Max price (USD)
            <input type="number" name="maxPrice" min={0} step="0.01" defaultValue={params.maxPrice ?? ""} data-testid="filter-max-price" />
          </label>
          <label>
            Sort by
            <select name="sort" defaultValue={params.sort || "new"} data-testid="filter-sort">
              <option value="new">Newest</option>
              <option value="downloads">Most downloaded</option>
              <option value="rating">Best rated</option>
            </select>
          </label>
          <div className="row">
            <button type="submit" data-testid="filter-apply">
              Apply
            </button>
            <Link href="/catalog" className="small">
              Reset
            </Link>
          </div>
        </aside>

        <section>
          <div className="searchbar">
            <input type="search" name="q" defaultValue={params.q ?? ""} placeholder="Search name, summary, card, task, tags, team…" aria-label="Search" data-testid="catalog-search" />
            <button type="submit" data-testid="catalog-search-submit">
              Search
            </button>
          </div>
          {error && (
            <div className="alert error" role="alert">
              Some filters were ignored: {error}
            </div>
          )}
          <p className="muted small" data-testid="catalog-total">
            {result.total} {result.total === 1 ? "vector" : "vectors"}
          </p>
          {result.items.length === 0 ? (
            <p className="muted">No vectors match.</p>
          ) : (
            <div className="stack" data-testid="catalog-results">
              {result.items.map((v) => (
                <VectorCard key={v.id} vector={v} />
              ))}
            </div>
          )}
          {pages > 1 && (
            <nav className="pagination" aria-label="Pages">
              {result.page > 1 ? <Link href={pageHref(sp, result.page - 1)} data-testid="page-prev">← Previous</Link> : <span />}
              <span className="muted small">
                Page {result.page} of {pages}
              </span>
              {result.page < pages ? <Link href={pageHref(sp, result.page + 1)} data-testid="page-next">Next →</Link> : <span />}
            </nav>
          )}
        </section>
      </form>
    </div>
  );
}
