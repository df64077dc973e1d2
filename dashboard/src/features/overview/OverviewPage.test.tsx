import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { OVERVIEW } from '../../test/fixtures.ts';
import { renderAt, stubApi } from '../../test/render.tsx';

describe('OverviewPage', () => {
  it('shows every tile with readable figures and links to the details', async () => {
    const api = stubApi({ '/api/overview': OVERVIEW });
    renderAt('/?range=6h');
    await screen.findByRole('link', { name: 'shipping' });
    const groups = screen.getByRole('region', { name: 'Worst consumer groups' });
    const rows = within(groups).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('shipping');
    expect(rows[0]).toHaveTextContent('STOP');
    expect(rows[0]).toHaveTextContent('≥ 1 h 6 min');
    expect(rows[1]).toHaveTextContent('12.4k msgs');
    expect(within(groups).getByRole('link', { name: 'shipping' })).toHaveAttribute('href', '/groups/shipping?range=6h');

    const latency = screen.getByRole('region', { name: 'End-to-end latency' });
    expect(within(latency).getByText('Latest: p50 42 ms, p95 130 ms, p99 2.5 s')).toBeInTheDocument();
    expect(screen.getByText('Latest: records in 1.2k/s')).toBeInTheDocument();

    const dlqs = screen.getByRole('region', { name: 'Dead-letter queues' });
    expect(within(dlqs).getByRole('link', { name: 'payments.dlq' })).toHaveAttribute(
      'href',
      '/dlqs/payments.dlq?range=6h',
    );
    expect(within(dlqs).getByText('6/min')).toBeInTheDocument();
    expect(within(dlqs).getByText('DecodeError')).toBeInTheDocument();

    const outcomes = screen.getByRole('list', { name: 'Saga outcomes' });
    expect(within(outcomes).getByText('1.2k')).toBeInTheDocument();
    expect(within(outcomes).getByRole('link', { name: 'failed' })).toHaveAttribute(
      'href',
      '/sagas?status=failed&range=6h',
    );

    const audit = screen.getByRole('region', { name: 'Loss and duplicate audit' });
    expect(within(audit).getByText('duplicate deliveries').previousSibling).toHaveTextContent('3');

    for (const tile of screen.getAllByRole('region'))
      expect(within(tile).getAllByRole('link').length).toBeGreaterThan(0);
    expect(api.calls).toContain('/api/overview?rangeSeconds=21600');
  });

  it('puts the time range in the URL and asks the collector for it', async () => {
    const api = stubApi({ '/api/overview': OVERVIEW });
    renderAt('/');
    await screen.findByText(/Kafka snapshot/);
    fireEvent.click(screen.getByRole('button', { name: '15 min' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/?range=15m'));
    await waitFor(() => expect(api.calls).toContain('/api/overview?rangeSeconds=900'));
    expect(screen.getByRole('button', { name: '15 min' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('asks for the whole range (saga outcomes cover it, as the lists do) and says charts keep 6 h', async () => {
    const api = stubApi({ '/api/overview': OVERVIEW });
    renderAt('/?range=24h');
    await screen.findByText('(charts: the collector keeps the last 6 h)');
    expect(api.calls).toContain('/api/overview?rangeSeconds=86400');
  });

  it('tells the user to start the collector when it cannot be reached', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    );
    renderAt('/');
    const alerts = await screen.findAllByRole('alert');
    expect(alerts[0]).toHaveTextContent('Could not load the overview.');
    expect(alerts[0]).toHaveTextContent('Cannot reach the collector');
    expect(alerts[0]).toHaveTextContent('npm start');
  });

  it('says how groups and DLQs appear when there are none, naming the configured DLQ pattern', async () => {
    stubApi({
      '/api/overview': { ...OVERVIEW, worstGroups: [], dlqs: [], setup: { ...OVERVIEW.setup, dlqPattern: 'dead.*' } },
    });
    renderAt('/');
    expect(await screen.findByText('No consumer groups found.')).toBeInTheDocument();
    const dlqs = screen.getByRole('region', { name: 'Dead-letter queues' });
    expect(within(dlqs).getByText('dead.*')).toBeInTheDocument();
    expect(dlqs).not.toHaveTextContent('*.dlq');
  });

  const quiet = {
    ...OVERVIEW,
    throughput: [],
    latency: [],
    sagaOutcomes: { in_flight: 0, completed: 0, compensated: 0, failed: 0, stuck: 0 },
    worstGroups: [],
    dlqs: [],
  };

  it('tells a newcomer no spans have arrived yet and how to connect services, on the configured ports', async () => {
    stubApi({
      '/api/overview': {
        ...quiet,
        setup: { hopsStored: 0, lastSpanAt: null, otlpHttpPort: 14318, otlpGrpcPort: 14317, dlqPattern: '*.dlq' },
      },
    });
    renderAt('/');
    const panel = await screen.findByRole('region', { name: 'Connect your services' });
    expect(panel).toHaveTextContent('No spans have arrived yet');
    expect(panel).toHaveTextContent(`OTEL_EXPORTER_OTLP_ENDPOINT=http://${window.location.hostname}:14318`);
    expect(panel).toHaveTextContent(`OTEL_EXPORTER_OTLP_ENDPOINT=http://${window.location.hostname}:14317`);
    expect(panel).not.toHaveTextContent(':4318');
    expect(panel).toHaveTextContent(`${window.location.origin}/v1/traces`);
    expect(panel).toHaveTextContent('OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20<token>');
    expect(within(panel).getByText('docs/instrumenting.md')).toBeInTheDocument();
    expect(within(panel).getByText('docs/event-contract.md')).toBeInTheDocument();
  });

  it('says so when OTLP/gRPC is off and the OTLP/HTTP port is picked at start', async () => {
    stubApi({
      '/api/overview': {
        ...quiet,
        setup: { hopsStored: 0, lastSpanAt: null, otlpHttpPort: null, otlpGrpcPort: null, dlqPattern: '*.dlq' },
      },
    });
    renderAt('/');
    const panel = await screen.findByRole('region', { name: 'Connect your services' });
    expect(panel).toHaveTextContent(`OTEL_EXPORTER_OTLP_ENDPOINT=${window.location.origin}`);
    expect(panel).toHaveTextContent('OTLP/gRPC is off on this collector');
  });

  it('keeps the panel away when spans arrived before the range, and says when the last one came', async () => {
    stubApi({
      '/api/overview': {
        ...quiet,
        setup: { ...OVERVIEW.setup, hopsStored: 12, lastSpanAt: Date.now() - 3 * 3600_000 },
      },
    });
    renderAt('/');
    expect(await screen.findByText(/last span 3 h ago/)).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Connect your services' })).toBeNull();
  });

  it('does not show the getting-started panel once sagas arrive', async () => {
    stubApi({ '/api/overview': OVERVIEW });
    renderAt('/');
    await screen.findByRole('link', { name: 'shipping' });
    expect(screen.queryByRole('region', { name: 'Connect your services' })).toBeNull();
  });
});
