import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { CatalogModel, ModelCatalog } from '../api/types.js';
import { formatClock, formatContext, formatModelPrice } from '../lib/format.js';

/** The catalog's caption: `Dynamic (fetched HH:MM)` or `Fallback`. */
export function catalogCaption(catalog: ModelCatalog | null): string {
  if (!catalog) return 'Loading…';
  if (catalog.source === 'dynamic') {
    const clock = formatClock(catalog.fetched_at);
    return clock ? `Dynamic (fetched ${clock})` : 'Dynamic';
  }
  return 'Fallback';
}

const MAX_SHOWN = 60;

function matches(model: CatalogModel, words: string[]): boolean {
  const haystack = `${model.id} ${model.name ?? ''} ${model.provider ?? ''} ${model.source === 'local' ? 'local' : ''}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/**
 * A searchable model combobox over the catalog: each option shows provider, context length
 * and price per 1M tokens in/out; local models are marked. Any typed id is accepted too.
 */
export function ModelPicker(props: {
  catalog: ModelCatalog | null;
  value: string;
  loading: boolean;
  error: string | null;
  onChange: (modelId: string) => void;
  onRefresh: () => void;
}) {
  const { catalog, value, loading, error, onChange, onRefresh } = props;
  const id = useId();
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement | null>(null);

  const models = catalog?.models ?? [];
  const filtered = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return models.filter((model) => matches(model, words)).slice(0, MAX_SHOWN);
  }, [models, query]);
  const selected = models.find((model) => model.id === value);

  const choose = (model: CatalogModel): void => {
    onChange(model.id);
    setQuery('');
    setOpen(false);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      setActive((index) => Math.min(filtered.length - 1, index + 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((index) => Math.max(0, index - 1));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const model = filtered[active];
      if (open && model) choose(model);
      else if (query.trim() !== '') {
        onChange(query.trim());
        setQuery('');
        setOpen(false);
      }
    } else if (event.key === 'Escape' && open) {
      event.stopPropagation();
      setOpen(false);
    }
  };

  return (
    <div className="field model-picker">
      <div className="label-row">
        <label htmlFor={`${id}-search`}>Model</label>
        <span className="caption" data-testid="catalog-caption" data-source={catalog?.source ?? ''}>
          {catalogCaption(catalog)}
        </span>
        <button type="button" className="small-button" onClick={onRefresh} disabled={loading} data-testid="models-refresh">
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <div className="model-selected" data-testid="model-selected" data-model-id={value}>
        <span className="model-id">{value || 'No model chosen'}</span>
        {selected ? (
          <span className="model-meta">
            {selected.source === 'local' && <span className="pill pill-local">local</span>} {selected.provider ?? ''} · ctx {formatContext(selected.context_length)} ·{' '}
            {formatModelPrice(selected)}
          </span>
        ) : (
          value !== '' && catalog && <span className="model-meta warn-text">not in the catalog</span>
        )}
      </div>
      <div className="combobox">
        <input
          id={`${id}-search`}
          ref={inputRef}
          type="search"
          role="combobox"
          aria-expanded={open}
          aria-controls={`${id}-list`}
          aria-autocomplete="list"
          aria-activedescendant={open && filtered[active] ? `${id}-option-${active}` : undefined}
          placeholder={`Search ${models.length} models, or type an id`}
          value={query}
          autoComplete="off"
          onChange={(event) => {
            setQuery(event.target.value);
            setOpen(true);
            setActive(0);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={onKeyDown}
          data-testid="model-search"
        />
        {open && (
          <ul className="listbox" id={`${id}-list`} role="listbox" aria-label="Models" data-testid="model-list">
            {filtered.length === 0 && <li className="muted option-empty">No model matches; Enter uses “{query}” as the id.</li>}
            {filtered.map((model, index) => (
              <li
                key={model.id}
                id={`${id}-option-${index}`}
                role="option"
                aria-selected={model.id === value}
                className={index === active ? 'option active' : 'option'}
                onMouseDown={(event) => {
                  event.preventDefault();
                  choose(model);
                }}
                onMouseEnter={() => setActive(index)}
                data-testid="model-option"
                data-model-id={model.id}
              >
                <span className="option-title">
                  {model.name || model.id}
                  {model.source === 'local' && <span className="pill pill-local">local</span>}
                </span>
                <span className="option-meta">
                  {model.provider ?? model.id.split('/')[0]} · ctx {formatContext(model.context_length)} · {formatModelPrice(model)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert">
          Catalog: {error}
        </p>
      )}
    </div>
  );
}
