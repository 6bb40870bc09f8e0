import { lazy, Suspense, useId, useState } from 'react';
import { filtersToQuery } from '../api/client.js';
import type { Agent, RunFilters, RunRecord } from '../api/types.js';
import { RunsSummary } from '../components/runs-summary.js';
import type { RunsState, ScoreFilter } from '../state/use-runs.js';
import { usePhoneWidth } from '../state/use-media-query.js';
import { EMPTY_FILTERS } from '../state/use-runs.js';
import { RunDetail } from './run-detail.js';
import { RunsTable } from './runs-table.js';

const RunsCharts = lazy(() => import('../components/runs-charts.js'));

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

const SCORE_OPTIONS: Array<{ value: ScoreFilter; label: string }> = [
  { value: '', label: 'Any' },
  { value: 'up', label: 'Rated up' },
  { value: 'down', label: 'Rated down' },
  { value: 'pass', label: 'Passed' },
  { value: 'fail', label: 'Failed' },
  { value: 'scored', label: 'Has a score' },
  { value: 'unscored', label: 'No score' },
];

/**
 * The Runs view, full width: filters (the table, charts, per-model summary and the download
 * all honour them), and a run's detail when a row is chosen.
 */
export function RunsView({ runs, agents }: { runs: RunsState; agents: Agent[] }) {
  const id = useId();
  const [tab, setTab] = useState<Tab>('table');
  const [selected, setSelected] = useState<RunRecord | null>(null);
  const phone = usePhoneWidth();
  const { filters, setFilters } = runs;
  const suggestions: Record<keyof RunFilters, string[]> = {
    experiment_id: unique(runs.allRuns.map((run) => run.experiment_id)),
    task_label: unique(runs.allRuns.map((run) => run.task_label)),
    model: unique(runs.allRuns.map((run) => run.model)),
    agent: unique([...runs.allRuns.map((run) => run.agent_name), ...agents.map((agent) => agent.name)]),
    since: [],
  };
  const active = Object.values(filters).some((value) => value !== '');
  const { score: _score, ...serverFilters } = filters;

  return (
    <div className="view runs-view" data-testid="runs-view">
      <section className="card" aria-labelledby={`${id}-title`}>
        <div className="label-row">
          <h2 id={`${id}-title`}>Runs</h2>
          <span className="muted small" data-testid="runs-count">
            {runs.runs.length} {runs.runs.length === 1 ? 'run' : 'runs'}
            {active ? ' match' : ''}
          </span>
          {runs.truncatedAt !== null ? (
            <span className="muted small" data-testid="runs-truncated">
              the newest {runs.truncatedAt.toLocaleString('en-US')} shown: filter, or download runs.csv for all of them
            </span>
          ) : null}
          <span className="spacer" />
          <a
            className="button-link"
            href={`/api/runs.csv${filtersToQuery(serverFilters)}`}
            download="runs.csv"
            title={filters.score ? 'The file has every run the other filters match (scores are in scores.csv)' : undefined}
            data-testid="runs-csv-link"
          >
            Download runs.csv{Object.values(serverFilters).some((value) => value !== '') ? ' (filtered)' : ''}
          </a>
        </div>
        <details className="filters-box" open={!phone || active} data-testid="filters-box">
        <summary className="filters-summary">Filters{active ? ` (${Object.values(filters).filter((value) => value !== '').length} on)` : ''}</summary>
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
          <div className="field">
            <label htmlFor={`${id}-score`}>Score</label>
            <select
              id={`${id}-score`}
              value={filters.score}
              onChange={(event) => setFilters((current) => ({ ...current, score: event.target.value as ScoreFilter }))}
              data-testid="filter-score"
            >
              {SCORE_OPTIONS.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
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
        </details>
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
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`} aria-busy={runs.loading}>
          {tab === 'table' && <RunsTable runs={runs.runs} scores={runs.scores} onOpen={setSelected} selectedId={selected?.run_id ?? null} />}
          {tab === 'charts' && (
            <Suspense fallback={<p className="muted">Loading charts…</p>}>
              <RunsCharts runs={runs.runs} />
            </Suspense>
          )}
          {tab === 'summary' && <RunsSummary rows={runs.summary} />}
        </div>
      </section>
      {selected && <RunDetail run={selected} scores={runs.scores.get(selected.run_id) ?? []} onClose={() => setSelected(null)} />}
    </div>
  );
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((value) => value !== ''))].sort().slice(0, 200);
}
