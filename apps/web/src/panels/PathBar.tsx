import { type AppState, appStore, useApp } from '../store/index.ts';
import { CrosshairIcon, SwapIcon } from '../ui/icons.tsx';
import { TypeAhead } from './TypeAhead.tsx';

const selectFrom = (s: AppState) => s.from;
const selectTo = (s: AppState) => s.to;
const selectPicking = (s: AppState) => s.picking;
const selectFromMissing = (s: AppState) => s.topology !== null && s.from !== null && !s.ifaceById.has(s.from);
const selectToMissing = (s: AppState) => s.topology !== null && s.to !== null && !s.ifaceById.has(s.to);

function PickButton({ end }: { end: 'from' | 'to' }) {
  const picking = useApp(selectPicking);
  const on = picking === end;
  return (
    <button
      type="button"
      className="panel px-1.5 py-1 flex items-center"
      style={{ borderColor: on ? 'var(--sel)' : undefined, color: on ? 'var(--sel)' : undefined }}
      aria-pressed={on}
      title={`pick the ${end === 'from' ? 'source' : 'destination'} on the map`}
      aria-label={`pick the ${end === 'from' ? 'source' : 'destination'} on the map`}
      data-testid={`pick-${end}`}
      onClick={() => appStore.getState().setPicking(on ? null : end)}
    >
      <CrosshairIcon />
    </button>
  );
}

/** Path mode: source and destination, typed (type-ahead over ids) or clicked on the map. */
export function PathBar() {
  const from = useApp(selectFrom);
  const to = useApp(selectTo);
  const fromMissing = useApp(selectFromMissing);
  const toMissing = useApp(selectToMissing);
  const s = () => appStore.getState();
  return (
    <div className="flex items-center gap-1.5" data-testid="path-bar">
      <TypeAhead
        label="from"
        value={from}
        placeholder="source interface…"
        onPick={(id) => s().setFrom(id)}
        testId="path-from"
        missing={fromMissing}
      />
      <PickButton end="from" />
      <button
        type="button"
        className="panel px-1.5 py-1"
        title="swap source and destination"
        aria-label="swap source and destination"
        onClick={() => s().setPath(to, from)}
      >
        <SwapIcon />
      </button>
      <TypeAhead
        label="to"
        value={to}
        placeholder="destination interface…"
        onPick={(id) => s().setTo(id)}
        testId="path-to"
        missing={toMissing}
      />
      <PickButton end="to" />
      {(from !== null || to !== null) && (
        <button
          type="button"
          className="muted hover:underline px-1"
          onClick={() => s().setPath(null, null)}
          data-testid="path-clear"
        >
          clear
        </button>
      )}
    </div>
  );
}
