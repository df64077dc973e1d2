import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { OVERVIEW } from './test/fixtures.ts';
import { renderAt, stubApi } from './test/render.tsx';

describe('app shell', () => {
  it('shows the navigation with the current page marked', async () => {
    stubApi({ '/api/overview': OVERVIEW });
    renderAt('/groups');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    for (const name of ['Overview', 'Consumer groups', 'DLQs', 'Sagas', 'Flow map'])
      expect(within(nav).getByRole('link', { name })).toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'Consumer groups' })).toHaveClass('active');
    expect(within(nav).getByRole('link', { name: 'Overview' })).not.toHaveClass('active');
    await screen.findByText(/Could not load consumer groups/);
  });

  it('focuses the search box on "/" and not while typing in another field', () => {
    stubApi({ '/api/overview': OVERVIEW });
    renderAt('/');
    const box = screen.getByRole('searchbox', { name: /Search by event id/ });
    expect(box).not.toHaveFocus();
    fireEvent.keyDown(document.body, { key: '/' });
    expect(box).toHaveFocus();
    box.blur();
    const other = document.createElement('input');
    document.body.appendChild(other);
    other.focus();
    fireEvent.keyDown(other, { key: '/' });
    expect(box).not.toHaveFocus();
    other.remove();
  });

  it('searches on Enter and lands on the event when there is exactly one match', async () => {
    const api = stubApi({
      '/api/overview': OVERVIEW,
      '/api/search': { query: 'e1', matches: [{ kind: 'event', id: 'e1', label: 'order.placed' }] },
    });
    renderAt('/');
    const box = screen.getByRole('searchbox', { name: /Search by event id/ });
    fireEvent.change(box, { target: { value: '  e1 ' } });
    fireEvent.submit(box.closest('form')!);
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/events/e1'));
    expect(api.calls).toContain('/api/search?q=e1');
  });

  it('lists several matches to choose from', async () => {
    stubApi({
      '/api/search': {
        query: 'abc',
        matches: [
          { kind: 'saga', id: 'abc', label: 'completed' },
          { kind: 'trace', id: 'abc', label: null },
        ],
      },
    });
    renderAt('/search?q=abc');
    const list = await screen.findByRole('list', { name: 'Matches' });
    expect(
      within(list)
        .getAllByRole('link')
        .map((a) => a.getAttribute('href')),
    ).toEqual(['/sagas/abc', '/traces/abc']);
  });

  it('says what to paste when nothing matches', async () => {
    stubApi({ '/api/search': { query: 'zzz', matches: [] } });
    renderAt('/search?q=zzz');
    expect(await screen.findByText('Nothing found for “zzz”.')).toBeInTheDocument();
    expect(screen.getByText(/32-hex-digit trace id/)).toBeInTheDocument();
  });

  it('has a not-found page that links home', () => {
    stubApi({});
    renderAt('/nope');
    expect(screen.getByText('There is no page here.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'overview' })).toHaveAttribute('href', '/');
  });
});
