/**
 * Global search: an event id, trace id or correlation id, or a record's `topic/partition/offset`. `/` focuses it from anywhere
 * (unless you are typing in a field), Enter searches, Escape leaves it.
 */
import { useEffect, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';

export function SearchBox() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [value, setValue] = useState(params.get('q') ?? '');
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      e.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <form
      className="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        const q = value.trim();
        if (q) void navigate(`/search?q=${encodeURIComponent(q)}`);
      }}
    >
      <input
        ref={input}
        type="search"
        aria-label="Search by event id, trace id, correlation id or topic/partition/offset"
        placeholder="Event, trace or correlation id, topic/partition/offset   ( / )"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') e.currentTarget.blur();
        }}
        spellCheck={false}
        autoComplete="off"
      />
    </form>
  );
}
