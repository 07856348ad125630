import { fmtNum } from '../ui/format.ts';

interface Props {
  label: string;
  values: readonly number[];
  unit: string;
  /** CSS colour (a palette variable). */
  color: string;
  width?: number;
  height?: number;
}

/** A tiny SVG chart: no chart library, one path, the latest value and the peak in words. */
export function Sparkline({ label, values, unit, color, width = 220, height = 30 }: Props) {
  const max = Math.max(1e-9, ...values);
  const n = values.length;
  const step = n > 1 ? width / (n - 1) : width;
  const pts = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 3)).toFixed(1)}`,
  );
  const line = pts.length > 0 ? `M${pts.join('L')}` : '';
  const area = pts.length > 1 ? `${line}L${((n - 1) * step).toFixed(1)},${height}L0,${height}Z` : '';
  const last = values.at(-1) ?? 0;
  return (
    <figure
      className="flex items-center gap-2"
      data-testid="sparkline"
      aria-label={`${label}: ${fmtNum(last)} ${unit}`}
    >
      <figcaption className="w-20 shrink-0" style={{ fontSize: 11 }}>
        <div className="muted">{label}</div>
        <div className="mono font-semibold">
          {fmtNum(last)} <span className="muted font-normal">{unit}</span>
        </div>
      </figcaption>
      <svg width={width} height={height} role="img" aria-hidden className="shrink-0">
        <path d={area} fill={color} fillOpacity={0.15} />
        <path d={line} stroke={color} strokeWidth={1.4} fill="none" />
      </svg>
      <span className="mono muted" style={{ fontSize: 10 }} title="peak in the chart">
        ▲{fmtNum(values.length > 0 ? Math.max(...values) : 0)}
      </span>
    </figure>
  );
}
