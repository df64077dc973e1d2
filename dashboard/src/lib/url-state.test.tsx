import { act, render, screen } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { describe, expect, it } from 'vitest';
import { parseWindow, rangeSeconds, secondsFor, useRange, useSetUrlParams, useSort, useUrlParam } from './url-state.ts';

let api: {
  setA: (v: string) => void;
  setMany: (v: Record<string, string>) => void;
  toggle: (k: 'x' | 'y') => void;
  setRange: (id: string) => void;
};

function Probe() {
  const [a, setA] = useUrlParam('a', 'dflt');
  const setMany = useSetUrlParams();
  const sort = useSort(['x', 'y'] as const, 'x');
  const range = useRange();
  const loc = useLocation();
  api = { setA, setMany, toggle: sort.toggle, setRange: range.setRange };
  return (
    <output>{JSON.stringify({ a, sort: `${sort.key}:${sort.dir}`, range: range.seconds, search: loc.search })}</output>
  );
}

function state() {
  return JSON.parse(screen.getByRole('status').textContent ?? '{}') as {
    a: string;
    sort: string;
    range: number;
    search: string;
  };
}

describe('URL state', () => {
  it('reads defaults, ignores invalid values, and drops a parameter set back to its default', () => {
    render(
      <MemoryRouter initialEntries={['/?range=99y&sort=bogus']}>
        <Probe />
      </MemoryRouter>,
    );
    expect(state()).toMatchObject({ a: 'dflt', sort: 'x:desc', range: 3600 });
    act(() => api.setA('b'));
    expect(state()).toMatchObject({ a: 'b' });
    expect(state().search).toContain('a=b');
    act(() => api.setA('dflt'));
    expect(state().search).not.toContain('a=');
  });

  it('toggles sort direction on the same key and resets it on another', () => {
    render(
      <MemoryRouter initialEntries={['/']}>
        <Probe />
      </MemoryRouter>,
    );
    act(() => api.toggle('x'));
    expect(state().sort).toBe('x:asc');
    act(() => api.toggle('x'));
    expect(state().sort).toBe('x:desc');
    act(() => api.toggle('y'));
    expect(state().sort).toBe('y:desc');
  });

  it('sets several parameters at once without losing any', () => {
    render(
      <MemoryRouter initialEntries={['/?keep=1']}>
        <Probe />
      </MemoryRouter>,
    );
    act(() => api.setMany({ q: 'order-1', type: 'order', keep: '1' }));
    const sp = new URLSearchParams(state().search);
    expect(sp.get('q')).toBe('order-1');
    expect(sp.get('type')).toBe('order');
    expect(sp.get('keep')).toBe('1');
    act(() => api.setMany({ q: '' }));
    expect(new URLSearchParams(state().search).has('q')).toBe(false);
  });

  it('maps range ids to seconds', () => {
    expect(rangeSeconds('15m')).toBe(900);
    expect(rangeSeconds('24h')).toBe(86_400);
    expect(rangeSeconds('nonsense')).toBe(3600);
    render(
      <MemoryRouter initialEntries={['/']}>
        <Probe />
      </MemoryRouter>,
    );
    act(() => api.setRange('6h'));
    expect(state().range).toBe(21_600);
  });
});

describe('absolute time windows', () => {
  it('reads ?from=&to= as epoch ms, refusing odd values', () => {
    expect(parseWindow('1796526153657', '1796526154652')).toEqual({ fromMs: 1796526153657, toMs: 1796526154652 });
    expect(parseWindow('1796526154652', '1796526153657')).toBeNull();
    expect(parseWindow('12', '1796526154652')).toBeNull();
    expect(parseWindow('1e12', '1796526154652')).toBeNull();
    expect(parseWindow('__proto__', null)).toBeNull();
  });

  it('fetches the smallest preset that reaches back to the window, at most the longest', () => {
    const now = 1_800_000_000_000;
    expect(secondsFor({ fromMs: now - 600_000, toMs: now }, now)).toBe(900);
    expect(secondsFor({ fromMs: now - 2 * 3_600_000, toMs: now - 3_600_000 }, now)).toBe(21_600);
    expect(secondsFor({ fromMs: now - 30 * 86_400_000, toMs: now }, now)).toBe(86_400);
  });
});
