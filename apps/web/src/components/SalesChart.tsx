// Sales, revenue and platform fees per day for one currency (recharts).
"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface SalesPoint {
  date: string;
  sales: number;
  grossCents: number;
  feeCents: number;
  netCents: number;
  refunds: number;
}

export function SalesChart({ currency, daily }: { currency: string; daily: SalesPoint[] }) {
  const data = daily.map((d) => ({ date: d.date, sales: d.sales, revenue: d.grossCents / 100, fees: d.feeCents / 100, refunds: d.refunds }));
  const unit = currency.toUpperCase();
  return (
    <div style={{ width: "100%", height: 280 }} data-testid={`sales-chart-${currency}`}>
      <ResponsiveContainer>
        <ComposedChart data={data} margin={{ top: 10, right: 20, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="date" fontSize={12} />
          <YAxis yAxisId="money" fontSize={12} label={{ value: unit, angle: -90, position: "insideLeft", fontSize: 12 }} />
          <YAxis yAxisId="count" orientation="right" allowDecimals={false} fontSize={12} />
          <Tooltip />
          <Legend />
          <Bar yAxisId="money" dataKey="revenue" name={`Revenue (${unit})`} fill="#2f855a" />
          <Bar yAxisId="money" dataKey="fees" name={`Platform fees (${unit})`} fill="#c05621" />
          <Line yAxisId="count" type="monotone" dataKey="sales" name="Sales" stroke="#2b6cb0" />
          <Line yAxisId="count" type="monotone" dataKey="refunds" name="Refunds" stroke="#c53030" />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
