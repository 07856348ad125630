import { useState } from 'react';
import { markdownOf, pngName, renderPng } from '../export/exportView.ts';
import { appStore } from '../store/index.ts';

/** Export the view as a PNG for the ticket, and copy the findings as Markdown. */
export function ExportButtons() {
  const [said, setSaid] = useState<string | null>(null);
  const savePng = async () => {
    try {
      const bytes = await renderPng(appStore.getState(), window.location.href);
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'image/png' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = pngName(appStore.getState());
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setSaid('PNG saved');
    } catch (e) {
      setSaid(`export failed: ${(e as Error).message}`);
    }
  };
  const copyMd = async () => {
    const text = markdownOf(appStore.getState(), window.location.href);
    try {
      await navigator.clipboard.writeText(text);
      setSaid('findings copied as Markdown');
    } catch {
      setSaid('copy failed: the browser refused the clipboard');
    }
  };
  return (
    <div className="flex items-center gap-1.5" style={{ fontSize: 11.5 }}>
      <button type="button" className="panel px-1.5" data-testid="export-png" onClick={() => void savePng()}>
        export PNG
      </button>
      <button
        type="button"
        className="panel px-1.5"
        data-testid="copy-markdown"
        onClick={() => void copyMd()}
      >
        copy findings (Markdown)
      </button>
      <span className="muted" role="status" aria-live="polite" data-testid="export-status">
        {said}
      </span>
    </div>
  );
}
