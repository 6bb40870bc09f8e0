import { lazy, Suspense, useId, useState } from 'react';
import { filtersToQuery } from '../api/client.js';
import type { RunFilters } from '../api/types.js';
import type { RunsState } from '../state/use-runs.js';
import { EMPTY_FILTERS } from '../state/use-runs.js';
import { RunsSummary } from './runs-summary.js';
import { RunsTable } from './runs-table.js';

const RunsCharts = lazy(() => import('./runs-charts.js'));

type Tab = 'table' | 'charts' | 'summary';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'table', label: 'Runs' },
  { id: 'charts', label: 'Charts' },
  { id: 'summary', label: 'Per model' },
];

const FILTER_FIELDS: Array<{ key: keyof RunFilters; label: string }> = [
  { key: 'experiment_id', label: 'Experiment' },
  { key: 'task_label', label: 'Task' },
  { key: 'model', label: 'Model' },
  { key: 'agent', label: 'Agent' },
];

/** Runs: filters, Download runs.csv (with the same filters), and the table / charts / summary. */
export function RunsSection({ runs, agentNames }: { runs: RunsState; agentNames: string[] }) {
  const id = useId();
  const [tab, setTab] = useState<Tab>('table');
  const { filters, setFilters } = runs;
  const suggestions: Record<keyof RunFilters, string[]> = {
    experiment_id: unique(runs.allRuns.map((run) => run.experiment_id)),
    task_label: unique(runs.allRuns.map((run) => run.task_label)),
    model: unique(runs.allRuns.map((run) => run.model)),
    agent: unique([...runs.allRuns.map((run) => run.agent_name), ...agentNames]),
    since: [],
  };
  const active = Object.values(filters).some((value) => value !== '');

  return (
    <section className="card runs-card" aria-labelledby={`${id}-title`}>
      <div className="label-row">
        <h2 id={`${id}-title`}>Runs</h2>
        <a className="button-link" href={`/api/runs.csv${filtersToQuery(filters)}`} download="runs.csv" data-testid="runs-csv-link">
          Download runs.csv{active ? ' (filtered)' : ''}
        </a>
      </div>
      <fieldset className="filters">
        <legend className="visually-hidden">Filters</legend>
        {FILTER_FIELDS.map((field) => (
          <div className="field" key={field.key}>
            <label htmlFor={`${id}-${field.key}`}>{field.label}</label>
            <input
              id={`${id}-${field.key}`}
              list={`${id}-${field.key}-list`}
              value={filters[field.key]}
              onChange={(event) => setFilters((current) => ({ ...current, [field.key]: event.target.value }))}
              data-testid={`filter-${field.key.replace(/_/g, '-')}`}
            />
            <datalist id={`${id}-${field.key}-list`}>
              {suggestions[field.key].map((value) => (
                <option key={value} value={value} />
              ))}
            </datalist>
          </div>
        ))}
        <div className="field">
          <label htmlFor={`${id}-since`}>Since</label>
          <input
            id={`${id}-since`}
            type="date"
            value={filters.since}
            onChange={(event) => setFilters((current) => ({ ...current, since: event.target.value }))}
            data-testid="filter-since"
          />
        </div>
        <div className="field filter-actions">
          <button type="button" className="small-button" onClick={() => setFilters(() => EMPTY_FILTERS)} disabled={!active} data-testid="filters-clear">
            Clear
          </button>
          <button type="button" className="small-button" onClick={runs.reload} data-testid="runs-reload">
            Reload
          </button>
        </div>
      </fieldset>
      {runs.error && (
        <p className="field-error" role="alert">
          {runs.error}
        </p>
      )}
      <div role="tablist" aria-label="Runs views" className="tabs">
        {TABS.map((entry) => (
          <button
            key={entry.id}
            type="button"
            role="tab"
            id={`${id}-tab-${entry.id}`}
            aria-selected={tab === entry.id}
            aria-controls={`${id}-panel`}
            className={tab === entry.id ? 'tab active' : 'tab'}
            onClick={() => setTab(entry.id)}
            data-testid={`runs-tab-${entry.id}`}
          >
            {entry.label}
            {entry.id === 'table' ? ` (${runs.runs.length})` : ''}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`} aria-busy={runs.loading}>
        {tab === 'table' && <RunsTable runs={runs.runs} />}
        {tab === 'charts' && (
          <Suspense fallback={<p className="muted">Loading charts…</p>}>
            <RunsCharts runs={runs.runs} />
          </Suspense>
        )}
        {tab === 'summary' && <RunsSummary rows={runs.summary} />}
      </div>
    </section>
  );
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((value) => value !== ''))].sort().slice(0, 200);
}
