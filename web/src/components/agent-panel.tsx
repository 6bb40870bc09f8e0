import { useId } from 'react';
import type { ModelCatalog, RunTags, ToolName } from '../api/types.js';
import { TOOL_NAMES } from '../api/types.js';
import { LIMITS } from '../state/agent-draft.js';
import type { AgentsState } from '../state/use-agents.js';
import { ModelPicker } from './model-picker.js';
import { SliderField } from './slider-field.js';

const TOOL_LABELS: Record<ToolName, { title: string; hint: string }> = {
  add_numbers: { title: 'add_numbers', hint: 'adds two numbers' },
  utc_now: { title: 'utc_now', hint: 'the current UTC time' },
  fetch_url: { title: 'fetch_url (web fetch)', hint: 'reads a page from an allow-listed host' },
};

/** The agent settings (opened on demand from the chat header): the config form, tools and run tags, saved explicitly. */
export function AgentPanel(props: {
  agents: AgentsState;
  catalog: ModelCatalog | null;
  modelsLoading: boolean;
  modelsError: string | null;
  onRefreshModels: () => void;
  tags: RunTags;
  onTagsChange: (tags: RunTags) => void;
  taskSuggestions: string[];
  readOnly: boolean;
}) {
  const { agents, catalog, modelsLoading, modelsError, onRefreshModels, tags, onTagsChange, taskSuggestions, readOnly } = props;
  const id = useId();
  const { draft, setDraft } = agents;

  const toggleTool = (tool: ToolName, on: boolean): void =>
    setDraft((current) => ({
      ...current,
      tools: on ? [...new Set([...current.tools, tool])] : current.tools.filter((candidate) => candidate !== tool),
    }));

  return (
    <section className="settings-panel" aria-labelledby={`${id}-title`} data-testid="settings-panel">
      <h2 id={`${id}-title`} className="visually-hidden">
        Agent settings
      </h2>
      <form
        className="agent-form"
        onSubmit={(event) => {
          event.preventDefault();
          agents.save().catch((caught: unknown) => console.info('Agent Lab: agent not saved', caught));
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={draft.name}
            maxLength={100}
            required
            onChange={(event) => setDraft((current) => ({ ...current, name: event.target.value }))}
            data-testid="agent-name"
          />
        </div>
        <ModelPicker
          catalog={catalog}
          value={draft.model}
          loading={modelsLoading}
          error={modelsError}
          onChange={(model) => setDraft((current) => ({ ...current, model }))}
          onRefresh={onRefreshModels}
        />
        <div className="field">
          <label htmlFor={`${id}-prompt`}>System prompt</label>
          <textarea
            id={`${id}-prompt`}
            rows={4}
            maxLength={32_000}
            value={draft.system_prompt}
            onChange={(event) => setDraft((current) => ({ ...current, system_prompt: event.target.value }))}
            data-testid="system-prompt"
          />
        </div>
        <SliderField
          label="Temperature"
          {...LIMITS.temperature}
          value={draft.temperature}
          testId="temperature"
          onChange={(temperature) => setDraft((current) => ({ ...current, temperature }))}
        />
        <SliderField label="Top p" {...LIMITS.top_p} value={draft.top_p} testId="top-p" onChange={(top_p) => setDraft((current) => ({ ...current, top_p }))} />
        <SliderField
          label="Max tokens"
          {...LIMITS.max_tokens}
          integer
          value={draft.max_tokens}
          testId="max-tokens"
          onChange={(max_tokens) => setDraft((current) => ({ ...current, max_tokens }))}
        />
        <fieldset className="tools">
          <legend>Tools</legend>
          {TOOL_NAMES.map((tool) => (
            <label key={tool} className="toggle">
              <input
                type="checkbox"
                role="switch"
                checked={draft.tools.includes(tool)}
                onChange={(event) => toggleTool(tool, event.target.checked)}
                data-testid={`tool-${tool}`}
              />
              <span>
                <code>{TOOL_LABELS[tool].title}</code> <span className="muted small">{TOOL_LABELS[tool].hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={agents.saving || readOnly} data-testid="agent-save">
            {agents.saving ? 'Saving…' : agents.selectedId ? 'Update agent' : 'Create agent'}
          </button>
          {agents.dirty && agents.selectedId && (
            <button type="button" onClick={agents.revert} disabled={agents.saving} data-testid="agent-revert">
              Revert
            </button>
          )}
          <span className="muted small" data-testid="agent-state">
            {!agents.dirty ? 'Saved' : agents.selectedId ? 'Unsaved changes: used for this chat, not saved to the agent' : 'Not saved yet (created on Send)'}
          </span>
        </div>
        {agents.error && (
          <p className="field-error" role="alert" data-testid="agent-error">
            {agents.error}
          </p>
        )}
      </form>

      <fieldset className="tags">
        <legend>Run tags</legend>
        <div className="field">
          <label htmlFor={`${id}-experiment`}>experiment_id</label>
          <input
            id={`${id}-experiment`}
            value={tags.experiment_id}
            maxLength={10_000}
            onChange={(event) => onTagsChange({ ...tags, experiment_id: event.target.value })}
            data-testid="tag-experiment-id"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-task`}>task_label</label>
          <input
            id={`${id}-task`}
            list={`${id}-task-suggestions`}
            value={tags.task_label}
            maxLength={10_000}
            onChange={(event) => onTagsChange({ ...tags, task_label: event.target.value })}
            data-testid="tag-task-label"
          />
          <datalist id={`${id}-task-suggestions`} data-testid="task-suggestions">
            {taskSuggestions.map((label) => (
              <option key={label} value={label} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor={`${id}-notes`}>run_notes</label>
          <textarea
            id={`${id}-notes`}
            rows={2}
            maxLength={10_000}
            value={tags.run_notes}
            onChange={(event) => onTagsChange({ ...tags, run_notes: event.target.value })}
            data-testid="tag-run-notes"
          />
        </div>
      </fieldset>
    </section>
  );
}
