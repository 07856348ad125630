import type { Iface } from '@hopwatch/shared';
import { type KeyboardEvent, type Ref, useId, useMemo, useState } from 'react';
import { useApp } from '../store/index.ts';
import { nsLabel } from '../ui/format.ts';
import { KindIcon } from '../ui/icons.tsx';
import { searchIfaces } from './search.ts';

const selectIfaces = (s: { topology: { ifaces: Iface[] } | null }) => s.topology?.ifaces;
const NO_IFACES: Iface[] = [];

interface Props {
  label: string;
  value: string | null;
  placeholder: string;
  onPick: (id: string) => void;
  testId: string;
  inputRef?: Ref<HTMLInputElement>;
  /** Shown (in words) when the current value is not an interface of this host. */
  missing?: boolean;
}

/** An ARIA combobox over the host's interface ids: type, arrows, Enter picks, Esc closes. */
export function TypeAhead({ label, value, placeholder, onPick, testId, inputRef, missing }: Props) {
  const ifaces = useApp(selectIfaces) ?? NO_IFACES;
  const [query, setQuery] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const listId = useId();
  const results = useMemo(() => (query === null ? [] : searchIfaces(ifaces, query)), [ifaces, query]);
  const open = query !== null && results.length > 0;

  const pick = (id: string) => {
    setQuery(null);
    onPick(id);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, results.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const r = results[active] ?? results[0];
      if (r !== undefined) pick(r.id);
    } else if (e.key === 'Escape') {
      // Close the list only; the app-wide Esc (clear selection) must not fire as well.
      e.stopPropagation();
      setQuery(null);
      e.currentTarget.blur();
    }
  };

  return (
    <div className="relative">
      <label className="flex items-center gap-1.5">
        <span className="muted uppercase font-semibold" style={{ fontSize: 10.5 }}>
          {label}
        </span>
        <input
          ref={inputRef}
          data-testid={testId}
          role="combobox"
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-invalid={missing === true}
          className="mono panel px-2 py-1 w-60 outline-none focus:border-[var(--sel)]"
          style={{ fontSize: 12, borderColor: missing ? 'var(--st-warn)' : undefined }}
          placeholder={placeholder}
          value={query ?? value ?? ''}
          onFocus={(e) => {
            setQuery(e.currentTarget.value);
            setActive(0);
            e.currentTarget.select();
          }}
          onBlur={() => setTimeout(() => setQuery(null), 120)}
          onChange={(e) => {
            setQuery(e.currentTarget.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
        />
      </label>
      {open && (
        <div
          id={listId}
          role="listbox"
          className="panel absolute z-50 mt-1 right-0 w-80 max-h-80 overflow-auto shadow-lg py-1"
          data-testid={`${testId}-results`}
        >
          {results.map((r, i) => (
            <div
              key={r.id}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              className="px-2 py-1 flex items-center gap-2 cursor-pointer"
              style={{ background: i === active ? 'var(--panel-2)' : undefined }}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(r.id);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <span className="muted">
                <KindIcon kind={r.kind} size={13} />
              </span>
              <span className="mono truncate">{r.name}</span>
              <span className="muted ml-auto truncate" style={{ fontSize: 11 }}>
                {nsLabel(r.netns)}
              </span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
