import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { KafkaClusterSummary } from '../../api/types.ts';
import { CLUSTERS, DLQ, GROUP_DETAIL, GROUPS, group, OVERVIEW } from '../../test/fixtures.ts';
import { byQuery, errorAnswer, renderAt, stubApi } from '../../test/render.tsx';

const [MAIN, EAST] = CLUSTERS.clusters as [KafkaClusterSummary, KafkaClusterSummary];

/** Each cluster its own groups: main the fixtures, east one group of its own. */
const groupsByCluster = byQuery((q) => {
  const name = q.get('cluster') ?? 'main';
  if (name === 'main') return { cluster: 'main', snapshotTime: Date.now(), groups: GROUPS, missingGroupTypes: [] };
  if (name === 'east')
    return {
      cluster: 'east',
      snapshotTime: Date.now(),
      groups: [group({ cluster: 'east', group: 'east-billing' })],
      missingGroupTypes: [],
    };
  return errorAnswer(404, {
    error: 'CLUSTER_NOT_FOUND',
    message: `No Kafka cluster named ${name}; known: main, east, dr`,
  });
});

const location = () => screen.getByTestId('location').textContent;
/** The page header (jsdom also calls the overview tiles' headers banners). */
const banner = () => screen.getByRole('navigation', { name: 'Main' }).closest('header')!;

describe('cluster switcher', () => {
  it('with one cluster, the header shows its name quietly, no picker, and queries ask for no cluster', async () => {
    const api = stubApi({ '/api/clusters': { clusters: [MAIN] }, '/api/groups': groupsByCluster });
    renderAt('/groups');
    expect(await within(banner()).findByText('main')).toHaveAttribute('title', 'Kafka cluster main: main-kafka:9092');
    expect(within(banner()).queryByRole('combobox', { name: 'Kafka cluster' })).toBeNull();
    await screen.findByRole('table', { name: 'Consumer groups' });
    expect(api.calls).toContain('/api/groups');
    expect(api.calls.filter((c) => c.includes('cluster='))).toEqual([]);
    // The page says which cluster its figures are from.
    expect(screen.getByTitle('The Kafka cluster these figures come from')).toHaveTextContent('cluster main');
  });

  it('with several, the pick goes into the URL, the lag queries ask for it, and it stays from page to page', async () => {
    const api = stubApi({
      '/api/clusters': CLUSTERS,
      '/api/groups': groupsByCluster,
      '/api/groups/east-billing': byQuery((q) =>
        q.get('cluster') === 'east'
          ? {
              ...GROUP_DETAIL,
              cluster: 'east',
              group: { ...GROUP_DETAIL.group, cluster: 'east', group: 'east-billing' },
            }
          : errorAnswer(404, { error: 'NOT_FOUND', message: 'not in the last snapshot' }),
      ),
      '/api/overview': byQuery((q) => ({ ...OVERVIEW, cluster: q.get('cluster') ?? 'main', dlqs: [] })),
    });
    renderAt('/groups');
    const picker = await within(banner()).findByRole('combobox', { name: 'Kafka cluster' });
    expect(picker).toHaveValue('main');
    expect(
      within(picker)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['main (primary)', 'east', 'dr · not connected']);
    await screen.findByRole('link', { name: 'inventory' });

    fireEvent.change(picker, { target: { value: 'east' } });
    await waitFor(() => expect(location()).toBe('/groups?cluster=east'));
    const link = await screen.findByRole('link', { name: 'east-billing' });
    expect(api.calls).toContain('/api/groups?cluster=east');
    expect(screen.queryByRole('link', { name: 'inventory' })).toBeNull();
    expect(screen.getByTitle('The Kafka cluster these figures come from')).toHaveTextContent('cluster east');
    // Links carry the cluster, so a new tab opens on it too.
    expect(link).toHaveAttribute('href', '/groups/east-billing?cluster=east');

    fireEvent.click(link);
    await screen.findByRole('heading', { name: 'east-billing' });
    expect(location()).toBe('/groups/east-billing?cluster=east');
    expect(api.calls).toContain('/api/groups/east-billing?cluster=east');
    expect(await screen.findByTitle('The Kafka cluster these figures come from')).toHaveTextContent('cluster east');

    // The main navigation keeps it: the overview asks for east's figures.
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Overview' })).toHaveAttribute('href', '/?cluster=east');
    fireEvent.click(within(nav).getByRole('link', { name: 'Overview' }));
    await screen.findByRole('heading', { name: 'Overview' });
    await waitFor(() => expect(api.calls).toContain('/api/overview?rangeSeconds=3600&cluster=east'));
    expect(await screen.findByText('No DLQ topics.')).toBeInTheDocument();
    expect(within(banner()).getByRole('combobox', { name: 'Kafka cluster' })).toHaveValue('east');
  });

  it('a link that does not name the cluster keeps the one picked, and puts it back into the URL', async () => {
    const api = stubApi({
      '/api/clusters': CLUSTERS,
      '/api/groups': groupsByCluster,
      '/api/dlqs': byQuery((q) => ({ cluster: q.get('cluster') ?? 'main', snapshotTime: Date.now(), dlqs: [DLQ] })),
      '/api/redrives': { redrives: [] },
    });
    renderAt('/dlqs?cluster=east');
    // The DLQs of the cluster picked; their links (the group's too) are on the DLQ's cluster.
    const note = await screen.findByTitle('The Kafka cluster these figures come from');
    expect(note).toHaveTextContent('cluster east');
    expect(api.calls).toContain('/api/dlqs?cluster=east');
    const table = screen.getByRole('table', { name: 'DLQ topics' });
    expect(within(table).getByRole('link', { name: 'payments' })).toHaveAttribute(
      'href',
      '/groups/payments?cluster=east',
    );
    expect(within(table).getByRole('link', { name: 'payments.dlq' })).toHaveAttribute(
      'href',
      '/dlqs/payments.dlq?cluster=east',
    );
    // "Redrives" is a plain link to /redrives: the cluster is not in it.
    fireEvent.click(within(screen.getByRole('main')).getByRole('link', { name: 'Redrives' }));
    await waitFor(() => expect(location()).toBe('/redrives?cluster=east'));
    fireEvent.click(
      within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Consumer groups' }),
    );
    await screen.findByRole('link', { name: 'east-billing' });
    expect(api.calls).not.toContain('/api/groups');
  });

  it('a cluster that is not connected says so, with its problem', async () => {
    stubApi({ '/api/clusters': CLUSTERS, '/api/groups': groupsByCluster });
    renderAt('/groups?cluster=dr');
    const alert = await screen.findByText('Kafka cluster dr is not connected.');
    const box = alert.closest('[role="alert"]')!;
    expect(box).toHaveTextContent('connect ECONNREFUSED 10.9.0.1:9092');
    expect(box).toHaveTextContent('There are no figures from it yet.');
    expect(box).toHaveTextContent('dr-kafka:9092');
    expect(within(banner()).getByRole('combobox', { name: 'Kafka cluster' })).toHaveValue('dr');
  });

  it('a cluster still connecting, with no poll and no failure yet, raises no alarm', async () => {
    // Regression: a collector that had not connected yet (or polls nothing) put a "not connected"
    // banner over every page, which also shrank the flow map below readable label sizes.
    const starting = { clusters: [{ ...MAIN, connected: false, problem: undefined, polledAt: undefined }] };
    stubApi({ '/api/clusters': starting, '/api/groups': groupsByCluster });
    renderAt('/groups');
    await screen.findByRole('table', { name: 'Consumer groups' });
    expect(screen.queryByText(/is not connected/)).toBeNull();
  });

  it('a connected cluster whose last poll failed says so, with the time of its last good figures', async () => {
    const failing = { clusters: [MAIN, { ...EAST, problem: 'the last poll failed' }] };
    stubApi({ '/api/clusters': failing, '/api/groups': groupsByCluster });
    const { unmount } = renderAt('/groups?cluster=east');
    const alert = await screen.findByText('The last poll of Kafka cluster east failed.');
    expect(alert.closest('[role="alert"]')).toHaveTextContent(/from the last good poll, (just now|\d+ s ago)/);
    unmount();
    // The primary, shown without a pick, is fine: nothing is said about east there.
    renderAt('/groups');
    await screen.findByRole('table', { name: 'Consumer groups' });
    await within(banner()).findByRole('combobox', { name: 'Kafka cluster' });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('a cluster the collector does not have: the banner names the ones it has, the page shows the 404', async () => {
    stubApi({ '/api/clusters': CLUSTERS, '/api/groups': groupsByCluster });
    renderAt('/groups?cluster=nope');
    expect(await screen.findByText('This collector watches no Kafka cluster named nope.')).toBeInTheDocument();
    expect(screen.getByText(/Its clusters: main, east, dr/)).toBeInTheDocument();
    expect(await screen.findByText('No Kafka cluster named nope; known: main, east, dr')).toBeInTheDocument();
    const picker = within(banner()).getByRole('combobox', { name: 'Kafka cluster' });
    expect(picker).toHaveValue('nope');
    expect(within(picker).getByRole('option', { name: 'nope (not configured)' })).toBeDisabled();
  });

  it('a collector without GET /api/clusters: no picker, no banner, pages as before', async () => {
    const api = stubApi({ '/api/groups': groupsByCluster });
    renderAt('/groups');
    await screen.findByRole('table', { name: 'Consumer groups' });
    expect(screen.queryByRole('combobox', { name: 'Kafka cluster' })).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(api.calls).toContain('/api/clusters');
  });
});
