import type { OpenApiDocument, OpenApiOperation } from './openapi-document.js';

/**
 * The OpenAPI document as one readable, self-contained HTML page: no script, no external
 * stylesheet or font (the lab's CSP allows inline styles only), so it works offline and
 * behind any proxy.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** `code` spans for the backticks the summaries use. */
function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function schemaBlock(schema: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`;
}

function operationSection(method: string, path: string, operation: OpenApiOperation): string {
  const parts = [
    `<section class="op" id="${escapeHtml(operation.operationId)}">`,
    `<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>`,
    `<p>${inline(operation.summary)}</p>`,
  ];
  if (operation.description) parts.push(`<p class="description">${inline(operation.description)}</p>`);
  if (operation.security?.length === 0) parts.push('<p class="open">Open: no token needed.</p>');
  if (operation.parameters?.length) {
    parts.push('<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr></thead><tbody>');
    for (const parameter of operation.parameters) {
      parts.push(
        `<tr><td><code>${escapeHtml(parameter.name)}</code></td><td>${parameter.in}</td><td>${parameter.required ? 'yes' : 'no'}</td><td><code>${escapeHtml(JSON.stringify(parameter.schema))}</code></td></tr>`,
      );
    }
    parts.push('</tbody></table>');
  }
  const body = operation.requestBody?.content['application/json'];
  if (body) parts.push('<details><summary>Request body (JSON)</summary>', schemaBlock(body.schema), '</details>');
  parts.push('<ul class="responses">');
  for (const [status, response] of Object.entries(operation.responses)) {
    const mediaTypes = Object.keys(response.content ?? {});
    const schema = response.content?.['application/json']?.schema;
    parts.push(
      `<li><strong>${escapeHtml(status)}</strong> ${inline(response.description)}${mediaTypes.length ? ` <em>${escapeHtml(mediaTypes.join(', '))}</em>` : ''}` +
        (schema && !('$ref' in schema) ? `<details><summary>schema</summary>${schemaBlock(schema)}</details>` : '') +
        '</li>',
    );
  }
  parts.push('</ul></section>');
  return parts.join('\n');
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1c1f24;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6e6e6;background:#16181c}pre,code{background:#23262c!important}}
h1{margin-bottom:.2rem} h2{margin-top:2.5rem;border-bottom:1px solid #8884;text-transform:capitalize}
.op{margin:1.5rem 0;padding-bottom:.5rem;border-bottom:1px dashed #8883}
.method{display:inline-block;min-width:4.2em;text-align:center;border-radius:4px;color:#fff;font-size:.8em;padding:.1em .4em}
.get{background:#2f6fb5}.post{background:#2e8b57}.put{background:#b8860b}.delete{background:#b33a3a}.patch{background:#7a4fb5}
code,pre{font:13px ui-monospace,monospace;background:#f3f4f6;border-radius:4px} code{padding:0 .25em}
pre{padding:.6rem;overflow:auto;max-height:28rem} table{border-collapse:collapse;font-size:.9em}
td,th{border:1px solid #8884;padding:.2rem .5rem;text-align:left;vertical-align:top} .open{color:#2e8b57}
nav a{margin-right:1rem}`;

/** The reference page for `document`. */
export function renderDocsPage(document: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const tag = operation.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationSection(method, path, operation)]);
    }
  }
  const tags = document.tags.map((tag) => tag.name).filter((tag) => byTag.has(tag));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(document.info.title)}</h1>
<p>Version ${escapeHtml(document.info.version)} · OpenAPI ${document.openapi} · <a href="/api/openapi.json">openapi.json</a></p>
<p>${inline(document.info.description)}</p>
<nav>${tags.map((tag) => `<a href="#tag-${escapeHtml(tag)}">${escapeHtml(tag)}</a>`).join('')}</nav>
${tags.map((tag) => `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>\n${(byTag.get(tag) ?? []).join('\n')}`).join('\n')}
</body></html>
`;
}
