// /foundations — every registered foundation model.
import Link from "next/link";
import { listFoundations } from "@graft/core";
import { getContext } from "@/server/context";
import { formatBytes, formatCount, formatDate } from "@/lib/format";

export const metadata = { title: "Foundations" };

export default async function FoundationsPage() {
  const foundations = await listFoundations(getContext());
  return (
    <div className="stack">
      <div className="spread">
        <h1>Foundation models</h1>
        <Link className="button" href="/foundations/new" data-testid="foundation-new">
          Register a foundation
        </Link>
      </div>
      <p className="muted">Task vectors are published against a foundation; its fingerprint proves which exact weights a vector applies to.</p>
      {foundations.length === 0 ? (
        <p className="muted">No foundations registered yet.</p>
      ) : (
        <table data-testid="foundations-table">
          <thead>
            <tr>
              <th>Foundation</th>
              <th>Architecture</th>
              <th>Parameters</th>
              <th>Size</th>
              <th>Licence</th>
              <th>Vectors</th>
              <th>Registered</th>
            </tr>
          </thead>
          <tbody>
            {foundations.map((f) => (
              <tr key={f.id}>
                <td>
                  <Link href={`/foundations/${f.slug}`} data-testid={`foundation-link-${f.slug}`}>
                    {f.name}
                  </Link>
                  <div className="muted small mono">{f.slug}</div>
                </td>
                <td>{f.architecture}</td>
                <td>{formatCount(f.parameterCount)}</td>
                <td>{formatBytes(f.totalBytes)}</td>
                <td>{f.licence}</td>
                <td>{f.vectorCount}</td>
                <td>{formatDate(f.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
