import { useState } from 'react';
import { CopyIcon } from '../ui/icons.tsx';

/** How long "copied" stays visible after a click. */
const COPIED_FEEDBACK_MS = 1500;

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API needs a secure context; http://HOST:7070 from another machine is not one.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="panel px-1.5 py-0.5 flex items-center gap-1 shrink-0"
      style={{ fontSize: 11 }}
      aria-label={label}
      title={label}
      data-testid="copy"
      onClick={async () => {
        if (await copyText(text)) {
          setCopied(true);
          setTimeout(() => setCopied(false), COPIED_FEEDBACK_MS);
        }
      }}
    >
      <CopyIcon />
      {copied ? 'copied' : 'copy'}
    </button>
  );
}
