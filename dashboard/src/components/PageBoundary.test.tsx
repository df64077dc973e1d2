import { render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { PageBoundary } from './PageBoundary.tsx';

function Broken(): never {
  throw new Error('Cannot add property 1, object is not extensible');
}

describe('PageBoundary', () => {
  it('shows what failed instead of a blank app, and clears when the location changes', () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { rerender } = render(
        <PageBoundary resetKey="/dlqs/a.dlq">
          <Broken />
        </PageBoundary>,
      );
      expect(screen.getByRole('alert')).toHaveTextContent('This page failed to render.');
      expect(screen.getByRole('alert')).toHaveTextContent('object is not extensible');
      rerender(
        <PageBoundary resetKey="/groups">
          <p>groups page</p>
        </PageBoundary>,
      );
      expect(screen.queryByRole('alert')).toBeNull();
      expect(screen.getByText('groups page')).toBeInTheDocument();
    } finally {
      quiet.mockRestore();
    }
  });
});
