import { Component, type ReactNode, Suspense } from 'react';

interface State {
  failed: boolean;
}

/**
 * A part of the app loaded when first shown (a lazy chunk). While it loads nothing is drawn in its
 * place; if its chunk cannot be fetched (a dropped link, or the hub upgraded under an open tab so
 * the old chunk is gone) it says so in its place instead of taking the whole page down: React
 * unmounts the root on an error no boundary catches.
 */
export class Later extends Component<{ children: ReactNode }, State> {
  override state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  override componentDidCatch(error: unknown): void {
    console.warn(`hopwatch: a part of the app could not be loaded: ${(error as Error)?.message ?? error}`);
  }

  override render(): ReactNode {
    if (this.state.failed)
      return (
        <div
          className="panel muted px-2 py-1"
          role="status"
          data-testid="load-failed"
          style={{ fontSize: 11.5 }}
        >
          this part of hopwatch could not be loaded — reload the page
        </div>
      );
    return <Suspense fallback={null}>{this.props.children}</Suspense>;
  }
}
