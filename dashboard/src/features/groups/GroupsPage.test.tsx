import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { GROUPS, GROUP_DETAIL } from '../../test/fixtures.ts';
import { errorAnswer, renderAt, stubApi } from '../../test/render.tsx';

type Detail = typeof GROUP_DETAIL.group;

/** GROUP_DETAIL with `group`'s fields, and its one member with `member`'s. */
const detailWith = (group: Partial<Detail>, member: Partial<Detail['members'][number]>) => ({
  ...GROUP_DETAIL,
  group: { ...GROUP_DETAIL.group, ...group, members: [{ ...GROUP_DETAIL.group.members[0]!, ...member }] },
});

const groupNames = () =>
  within(screen.getByRole('table', { name: 'Consumer groups' }))
    .getAllByRole('row')
    .slice(1)
    .map((r) => within(r).getAllByRole('link')[0]?.textContent);

describe('GroupsPage', () => {
  it('lists groups worst first with status, lag in messages and time, members, rate and catch-up', async () => {
    stubApi({ '/api/groups': { snapshotTime: Date.now(), groups: GROUPS, missingGroupTypes: [] } });
    renderAt('/groups');
    await screen.findByRole('table', { name: 'Consumer groups' });
    expect(groupNames()).toEqual(['shipping', 'inventory', 'payments']);
    const shipping = screen.getByRole('link', { name: 'shipping' }).closest('tr')!;
    expect(within(shipping).getByText('STOP')).toBeInTheDocument();
    expect(shipping).toHaveTextContent('≥ 1 h 6 min');
    expect(shipping).toHaveTextContent('not catching up');
    expect(shipping).toHaveTextContent('none seen');
    const inventory = screen.getByRole('link', { name: 'inventory' }).closest('tr')!;
    expect(inventory).toHaveTextContent('12.4k');
    expect(inventory).toHaveTextContent('1 min 35 s');
    expect(inventory).toHaveTextContent('80/s');
    expect(inventory).toHaveTextContent('2 min 35 s');
    expect(inventory).toHaveTextContent('orders, payments');
  });

  it('sorts by a column on click, toggles direction, and keeps the sort in the URL', async () => {
    stubApi({ '/api/groups': { snapshotTime: Date.now(), groups: GROUPS, missingGroupTypes: [] } });
    renderAt('/groups');
    await screen.findByRole('table', { name: 'Consumer groups' });
    fireEvent.click(screen.getByRole('button', { name: /Rate/ }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('sort=consumeRate&dir=desc'));
    expect(groupNames()).toEqual(['payments', 'inventory', 'shipping']);
    fireEvent.click(screen.getByRole('button', { name: /Rate/ }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('dir=asc'));
    expect(groupNames()).toEqual(['shipping', 'inventory', 'payments']);
    expect(screen.getByRole('columnheader', { name: /Rate/ })).toHaveAttribute('aria-sort', 'ascending');
  });

  it('filters by text and status from the URL, and says when nothing matches', async () => {
    stubApi({ '/api/groups': { snapshotTime: Date.now(), groups: GROUPS, missingGroupTypes: [] } });
    renderAt('/groups?status=WARN');
    await screen.findByRole('table', { name: 'Consumer groups' });
    expect(groupNames()).toEqual(['inventory']);
    expect(screen.getByRole('combobox', { name: 'Status' })).toHaveValue('WARN');
    fireEvent.change(screen.getByRole('searchbox', { name: /Filter groups/ }), { target: { value: 'zzz' } });
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('q=zzz'));
    expect(screen.getByText('No group matches these filters.')).toBeInTheDocument();
  });

  it('shows the Kafka group type of each group as a badge, and which types the broker lacks', async () => {
    const groups = [
      { ...GROUPS[0]!, groupType: 'consumer' as const },
      { ...GROUPS[1]!, groupType: 'share' as const },
      GROUPS[2]!,
    ];
    stubApi({
      '/api/groups': {
        snapshotTime: Date.now(),
        groups,
        missingGroupTypes: ['streams groups (KIP-1071): the broker has no StreamsGroupDescribe API'],
      },
    });
    renderAt('/groups');
    await screen.findByRole('table', { name: 'Consumer groups' });
    const rowOf = (name: string) =>
      screen
        .getAllByRole('link', { name })
        .find((a) => a.getAttribute('href') === `/groups/${name}`)!
        .closest('tr')!;
    expect(within(rowOf(groups[0]!.group)).getByText('consumer')).toHaveAttribute(
      'title',
      expect.stringMatching(/KIP-848/),
    );
    expect(within(rowOf(groups[1]!.group)).getByText('share')).toHaveAttribute(
      'title',
      expect.stringMatching(/KIP-932/),
    );
    expect(within(rowOf(groups[2]!.group)).getByText('classic')).toBeInTheDocument();
    expect(screen.getByRole('note', { name: 'Group types this broker lacks' })).toHaveTextContent(
      'Not on this broker: streams groups (KIP-1071)',
    );
  });

  it('shows records lost to retention and groups at risk of losing some', async () => {
    const groups = [
      { ...GROUPS[0]!, retentionRisk: 'lost' as const, recordsLostToRetention: 1200 },
      { ...GROUPS[1]!, retentionRisk: 'at-risk' as const },
      GROUPS[2]!,
    ];
    stubApi({ '/api/groups': { snapshotTime: Date.now(), groups, missingGroupTypes: [] } });
    renderAt('/groups?sort=retentionRisk&dir=desc');
    await screen.findByRole('table', { name: 'Consumer groups' });
    expect(groupNames()).toEqual([groups[0]!.group, groups[1]!.group, groups[2]!.group]);
    const rows = within(screen.getByRole('table', { name: 'Consumer groups' }))
      .getAllByRole('row')
      .slice(1);
    expect(within(rows[0]!).getByText('1.2k lost')).toHaveAttribute('title', expect.stringMatching(/log start/));
    expect(within(rows[1]!).getByText('at risk')).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent('ok');
  });

  it('explains an empty list before the first poll', async () => {
    stubApi({ '/api/groups': { snapshotTime: null, groups: [], missingGroupTypes: [] } });
    renderAt('/groups');
    expect(await screen.findByText(/has not finished its first Kafka poll/)).toBeInTheDocument();
  });
});

describe('GroupDetailPage', () => {
  it('shows a KIP-848 group with its epochs, and a member reconciling to its target assignment', async () => {
    const detail = detailWith(
      { groupType: 'consumer', protocol: 'uniform', groupEpoch: 7, assignmentEpoch: 7 },
      {
        memberEpoch: 6,
        assignment: [{ topic: 'orders', partitions: [0] }],
        targetAssignment: [{ topic: 'orders', partitions: [0, 1] }],
      },
    );
    stubApi({ '/api/groups/inventory': detail });
    renderAt('/groups/inventory');
    const members = await screen.findByRole('region', { name: 'Members' });
    expect(screen.getByText(/consumer group · Stable · uniform · group epoch 7/)).toBeInTheDocument();
    expect(within(members).getByRole('columnheader', { name: 'Epoch' })).toBeInTheDocument();
    const row = within(members).getAllByRole('row')[1]!;
    expect(row).toHaveTextContent('6');
    expect(row).toHaveTextContent('reconciling to orders [0, 1]');
  });

  it('shows a streams group member with its process, active and standby tasks as partitions', async () => {
    const detail = detailWith(
      { groupType: 'streams', groupEpoch: 3, assignmentEpoch: 3 },
      {
        memberEpoch: 3,
        processId: 'c0ffee00-1111-2222-3333-444455556666',
        assignment: [{ topic: 'orders', partitions: [0] }],
        targetAssignment: [{ topic: 'orders', partitions: [0] }],
        standbyAssignment: [{ topic: 'orders', partitions: [1] }],
        warmupAssignment: [],
      },
    );
    stubApi({ '/api/groups/inventory': detail });
    renderAt('/groups/inventory');
    const members = await screen.findByRole('region', { name: 'Members' });
    expect(within(members).getByRole('columnheader', { name: 'Streams process' })).toBeInTheDocument();
    const row = within(members).getAllByRole('row')[1]!;
    expect(row).toHaveTextContent('c0ffee00-1111-2222-3333-444455556666');
    expect(row).toHaveTextContent('standby orders [1]');
    expect(row).not.toHaveTextContent('reconciling');
    expect(row).not.toHaveTextContent('warming up');
  });

  it('shows figures, partitions with owners, members and the rebalance timeline', async () => {
    stubApi({ '/api/groups/inventory': GROUP_DETAIL });
    renderAt('/groups/inventory');
    const partitions = await screen.findByRole('region', { name: 'Partitions' });
    const rows = within(partitions).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('13,000');
    expect(rows[0]).toHaveTextContent('inventory-1 (/127.0.0.1)');
    expect(rows[1]).toHaveTextContent('unassigned');
    const members = screen.getByRole('region', { name: 'Members' });
    expect(members).toHaveTextContent('orders [0, 1]');
    const timeline = screen.getByRole('list', { name: 'Rebalance timeline' });
    const items = within(timeline).getAllByRole('listitem');
    expect(items[0]).toHaveTextContent('took 3.2 s');
    expect(items[0]).toHaveTextContent('members 2 → 1');
    expect(items[1]).toHaveTextContent('still rebalancing');
    expect(screen.getByText('12.4k').nextSibling).toHaveTextContent('lag (messages)');
    // The lag budget that makes a group WARN (and fires the lag alert) is named next to its age.
    expect(screen.getByText(/^behind.*, budget 10 s$/)).toBeInTheDocument();
  });

  it('switches the lag chart between seconds and messages through the URL', async () => {
    stubApi({ '/api/groups/inventory': GROUP_DETAIL });
    renderAt('/groups/inventory');
    const chart = await screen.findByRole('region', { name: 'Lag per topic over time' });
    expect(within(chart).getByText(/Latest: all topics 1 min 35 s/)).toBeInTheDocument();
    fireEvent.click(within(chart).getByRole('button', { name: 'messages' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('metric=lag'));
    expect(within(chart).getByText('Latest: all topics 12.4k, orders 12k, payments 400')).toBeInTheDocument();
  });

  it('a group Kafka does not report: says so and links to what is known, not an error', async () => {
    stubApi({
      '/api/groups/nope': errorAnswer(404, {
        error: 'NOT_FOUND',
        message: 'consumer group "nope" is not in the last snapshot',
      }),
      '/api/dlqs': { snapshotTime: Date.now(), dlqs: [] },
    });
    renderAt('/groups/nope');
    expect(await screen.findByText('Kafka does not report the group nope now.')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    const related = screen.getByRole('navigation', { name: 'Related' });
    expect(within(related).getByRole('link', { name: 'Sagas through nope' })).toHaveAttribute(
      'href',
      '/sagas?group=nope',
    );
  });
});
