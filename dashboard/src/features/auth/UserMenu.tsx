/** The signed-in user in the header: name, role, and "Sign out" for single sign-on sessions. */
import { ErrorState } from '../../components/states.tsx';
import { useAuth, useSignOut } from './session.ts';

export function UserMenu() {
  const auth = useAuth();
  const signOut = useSignOut();
  if (auth.kind !== 'signed-in') return null;
  const { principal } = auth;
  return (
    <div className="user" aria-label="Signed-in user">
      <span className="user-name" title={principal.subject}>
        {principal.name}
      </span>
      <span className={`user-role role-${principal.role}`}>{principal.role}</span>
      {principal.via === 'session' ? (
        <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending || signOut.isSuccess}>
          Sign out
        </button>
      ) : null}
      {signOut.isError ? <ErrorState error={signOut.error} what="the sign-out" /> : null}
    </div>
  );
}
