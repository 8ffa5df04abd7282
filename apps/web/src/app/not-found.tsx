// 404 page for unknown URLs and for vectors, teams or foundations that do not exist (or are not visible).
import Link from "next/link";

export default function NotFound() {
  return (
    <div className="card" style={{ maxWidth: 560 }}>
      <h1>Not found</h1>
      <p className="muted">There is nothing here, or you do not have access to it.</p>
      <Link href="/catalog">Browse the catalog</Link>
    </div>
  );
}
