import { Component, type ErrorInfo, type ReactNode } from 'react';

/**
 * Catches a page that throws while rendering, so one broken view shows what happened instead
 * of a blank app. `resetKey` (the location) clears the error when the person navigates away.
 */
export class PageBoundary extends Component<{ resetKey: string; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidUpdate(prev: { resetKey: string }): void {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('page failed to render', error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="state state-error" role="alert">
        <strong>This page failed to render.</strong>
        <div>{error.message}</div>
        <div className="state-hint">
          Reload the page; if it happens again, the browser console has the details (please report them).
        </div>
      </div>
    );
  }
}
