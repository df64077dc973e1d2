/**
 * Copy buttons for ids, headers (traceparent) and payloads: the value goes to the clipboard
 * whole, whatever the page shows of it. "Copied" confirms it for a moment.
 */
import { useEffect, useState, type MouseEvent } from 'react';
import { shortId } from '../lib/format.ts';

async function writeClipboard(text: string): Promise<void> {
  if (navigator.clipboard) return navigator.clipboard.writeText(text);
  // Without the async clipboard (an insecure origin): a selected textarea and the copy command.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  try {
    if (!document.execCommand('copy')) throw new Error('copy refused');
  } finally {
    area.remove();
  }
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 1500);
    return () => clearTimeout(t);
  }, [state]);
  const onClick = (e: MouseEvent) => {
    // Inside a <summary> or a link: copy, do not toggle or navigate.
    e.preventDefault();
    e.stopPropagation();
    writeClipboard(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };
  return (
    <button type="button" className="copy" aria-label={`Copy ${label}`} title={`Copy ${label}`} onClick={onClick}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}

/** An id shown short (first and last characters), whole on hover, with a button that copies it whole. */
export function ShortId({ id, label = 'id' }: { id: string; label?: string }) {
  return (
    <>
      <span className="mono" title={id}>
        {shortId(id)}
      </span>
      <CopyButton text={id} label={`${label} ${id}`} />
    </>
  );
}
