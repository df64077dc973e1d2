import { Link } from 'react-router';
import { useRedrives } from '../../api/queries.ts';
import { Empty, QueryView } from '../../components/states.tsx';
import { RedrivesTable } from './RedrivesTable.tsx';

export function RedrivesPage() {
  const query = useRedrives();
  return (
    <>
      <div className="page-header">
        <h1>Redrives</h1>
      </div>
      <QueryView query={query} what="redrives">
        {({ redrives }) =>
          redrives.length === 0 ? (
            <Empty title="No redrive yet.">
              An operator starts one from a <Link to="/dlqs">DLQ</Link>: pick records by offset, by filter or all, dry
              run, then send them back to their original topic or to the failed group&apos;s retry topic.
            </Empty>
          ) : (
            <section className="panel" aria-label="Every redrive">
              <RedrivesTable redrives={redrives} />
            </section>
          )
        }
      </QueryView>
    </>
  );
}
