import { memo, useMemo } from 'react';
import { useMarkdownRenderer } from './markdown-loader.js';

/** Message text as sanitised markdown (see lib/markdown.ts for why it is safe); plain text until the renderer loads. */
export const MarkdownView = memo(function MarkdownView({ text }: { text: string }) {
  const render = useMarkdownRenderer();
  const html = useMemo(() => (render ? render(text) : null), [render, text]);
  if (html === null) {
    return (
      <div className="markdown plain" data-testid="message-content">
        {text}
      </div>
    );
  }
  return <div className="markdown" data-testid="message-content" dangerouslySetInnerHTML={{ __html: html }} />;
});
