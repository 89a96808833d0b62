// Harmful text behind a content warning: hidden until the reader asks for this one item.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function Reveal({ what, children }: { what: string; children: ComponentChildren }) {
  const [shown, setShown] = useState(false);
  if (shown) {
    return (
      <div class="revealed" data-testid="revealed">
        {children}
        <button type="button" class="link" onClick={() => setShown(false)}>
          Hide again
        </button>
      </div>
    );
  }
  return (
    <div class="content-warning" data-testid="content-warning">
      <span>Content warning: {what}.</span>{' '}
      <button type="button" onClick={() => setShown(true)} aria-label={`Show ${what}`}>
        Show
      </button>
    </div>
  );
}
