import { Component, Suspense, type ReactNode } from 'react';

/**
 * A part of the page whose code loads on demand: "Loading…" meanwhile, and when the code
 * cannot be fetched (the lab restarted with a new build, the network dropped, the sign-in
 * expired) a message with Reload in its place — the rest of the page keeps working.
 */
class LoadFailure extends Component<{ what: string; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown): void {
    console.error(`Agent Lab: ${this.props.what} failed to load`, error);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <div className="banner banner-error view-error" role="alert" data-testid="view-load-error">
        <strong>The {this.props.what} could not load.</strong> {this.state.error.message}{' '}
        <button type="button" className="small-button" onClick={() => location.reload()}>
          Reload the page
        </button>
      </div>
    );
  }
}

export function LazyView(props: { what: string; children: ReactNode }) {
  return (
    <LoadFailure what={props.what}>
      <Suspense fallback={<p className="muted view">Loading the {props.what}…</p>}>{props.children}</Suspense>
    </LoadFailure>
  );
}
