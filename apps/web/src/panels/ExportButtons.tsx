import { useState } from 'react';
import { appStore } from '../store/index.ts';

/**
 * The export's drawing and Markdown are loaded when first wanted (hovered, focused or clicked),
 * not on the way to the first picture. A load that fails is tried again on the next click.
 */
let exportModule: Promise<typeof import('../export/exportView.ts')> | null = null;
const loadExport = () => {
  exportModule ??= import('../export/exportView.ts').catch((e: unknown) => {
    exportModule = null;
    throw e;
  });
  return exportModule;
};

/** A pointer on (or the focus in) a button starts loading what it will need. */
const preload = {
  onPointerEnter: () => void loadExport().catch(() => {}),
  onFocus: () => void loadExport().catch(() => {}),
};

/** Export the view as a PNG for the ticket, and copy the findings as Markdown. */
export function ExportButtons() {
  const [said, setSaid] = useState<string | null>(null);
  const savePng = async () => {
    try {
      const { pngName, renderPng } = await loadExport();
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
    try {
      const { markdownOf } = await loadExport();
      const text = markdownOf(appStore.getState(), window.location.href);
      await navigator.clipboard.writeText(text);
      setSaid('findings copied as Markdown');
    } catch (e) {
      setSaid(
        e instanceof DOMException
          ? 'copy failed: the browser refused the clipboard'
          : `copy failed: ${(e as Error).message}`,
      );
    }
  };
  return (
    <div className="flex items-center gap-1.5" style={{ fontSize: 11.5 }}>
      <button
        type="button"
        className="panel px-1.5"
        data-testid="export-png"
        onClick={() => void savePng()}
        {...preload}
      >
        export PNG
      </button>
      <button
        type="button"
        className="panel px-1.5"
        data-testid="copy-markdown"
        onClick={() => void copyMd()}
        {...preload}
      >
        copy findings (Markdown)
      </button>
      <span className="muted" role="status" aria-live="polite" data-testid="export-status">
        {said}
      </span>
    </div>
  );
}
