import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { api, ApiError } from './api/client.js';
import type { ModelCatalog, RunRecord, RunTags, WebStatus } from './api/types.js';
import { Composer } from './chat/composer.js';
import type { LiveMessageStore } from './chat/live-message-store.js';
import { TranscriptView } from './chat/transcript-view.js';
import type { Turn } from './chat/turn.js';
import { useChat } from './chat/use-chat.js';
import { AgentPanel } from './components/agent-panel.js';
import { ViewTabs } from './bakeoff/view-tabs.js';
import { AuthPrompt } from './components/auth-prompt.js';
import { Banners } from './components/banners.js';
import { LatestRunPanel, WebBadge, webBadgeState } from './components/latest-run-panel.js';
import { RunsSection } from './components/runs-section.js';
import { SessionsPanel } from './components/sessions-panel.js';
import { ThemeToggle } from './components/theme-toggle.js';
import { useAgents } from './state/use-agents.js';
import { useLabStatus } from './state/use-lab-status.js';
import { useModels } from './state/use-models.js';
import { useRuns } from './state/use-runs.js';
import { useSessions } from './state/use-sessions.js';

/** The one page: agent config and sessions (left), chat (centre), runs (right). */

const TAGS_KEY = 'agent-lab:tags';
const EMPTY_TAGS: RunTags = { experiment_id: '', task_label: '', run_notes: '' };

function loadTags(): RunTags {
  try {
    const stored = JSON.parse(localStorage.getItem(TAGS_KEY) ?? 'null') as Partial<RunTags> | null;
    return { ...EMPTY_TAGS, ...(stored ?? {}) };
  } catch {
    return EMPTY_TAGS; // unreadable saved tags: start clean
  }
}

/** The catalog's default for a new agent: a local model when there is no API key, else a well-known one. */
function pickDefaultModel(catalog: ModelCatalog | null, apiKeyConfigured: boolean | undefined): string {
  const models = catalog?.models ?? [];
  if (models.length === 0) return '';
  const local = models.find((model) => model.source === 'local');
  if (apiKeyConfigured === false && local) return local.id;
  return (models.find((model) => model.id === 'openai/gpt-4o-mini') ?? models.find((model) => model.source !== 'local') ?? models[0])?.id ?? '';
}

function lastTurnWebStatus(turns: Turn[]): WebStatus | null {
  const last = [...turns].reverse().find((turn) => turn.role === 'assistant');
  let status: WebStatus | null = null;
  for (const part of last?.parts ?? []) {
    if (part.kind === 'tool' && part.webStatus) status = status === 'blocked' ? status : part.webStatus;
  }
  return status;
}

function LiveWebBadge(props: { store: LiveMessageStore; fetchEnabled: boolean; settledStatus: WebStatus | null }) {
  const snapshot = useSyncExternalStore(props.store.subscribe, props.store.getSnapshot);
  const runStatus = snapshot.active ? snapshot.webStatus : props.settledStatus;
  return <WebBadge state={webBadgeState({ fetchEnabled: props.fetchEnabled, runStatus })} />;
}

export function App() {
  const labStatus = useLabStatus();
  const status = labStatus.status;
  const models = useModels();
  const defaultModel = useMemo(() => pickDefaultModel(models.catalog, status?.api_key_configured), [models.catalog, status?.api_key_configured]);
  const agents = useAgents({ defaultModel });
  const runs = useRuns();
  const sessions = useSessions();
  const [tags, setTags] = useState<RunTags>(loadTags);
  const [announcement, setAnnouncement] = useState('');
  const [sessionName, setSessionName] = useState('');
  const [sessionBusy, setSessionBusy] = useState(false);

  useEffect(() => {
    localStorage.setItem(TAGS_KEY, JSON.stringify(tags));
  }, [tags]);

  const onRunRecorded = useCallback(
    (_run: RunRecord) => {
      runs.reload();
      void sessions.reload();
    },
    [runs.reload, sessions.reload],
  );

  const chat = useChat({
    ensureAgent: agents.ensureSaved,
    getTags: () => tags,
    onRunRecorded,
    announce: setAnnouncement,
  });

  const saveSession = useCallback(
    async (name: string) => {
      setSessionBusy(true);
      try {
        const agentConfig = { ...agents.draft, ...(agents.selectedId ? { agent_id: agents.selectedId } : {}) };
        if (chat.sessionId) {
          try {
            await api.updateSession(chat.sessionId, { name, agent_config: agentConfig });
          } catch (error) {
            // A lab that only lets the name change: the config stays the one its runs used.
            if (!(error instanceof ApiError) || error.status !== 400) throw error;
            await api.updateSession(chat.sessionId, { name });
          }
        } else {
          const session = await api.createSession({ name, agent_config: agentConfig, model_id: agents.draft.model });
          chat.setSessionId(session.id);
        }
        setSessionName(name);
        setAnnouncement(`Session “${name}” saved.`);
        await sessions.reload();
      } finally {
        setSessionBusy(false);
      }
    },
    [agents.draft, agents.selectedId, chat, sessions],
  );

  const loadSession = useCallback(
    async (id: string) => {
      setSessionBusy(true);
      try {
        const session = await api.getSession(id);
        chat.loadSession(session);
        agents.restore(session.agent_config);
        const lastRun = session.runs?.[session.runs.length - 1];
        if (lastRun) {
          setTags({
            experiment_id: lastRun.experiment_id ?? '',
            task_label: lastRun.task_label ?? '',
            run_notes: lastRun.run_notes ?? '',
          });
        }
        setSessionName(session.name || session.notes || '');
        setAnnouncement(`Session “${session.name || id}” loaded.`);
      } finally {
        setSessionBusy(false);
      }
    },
    [agents, chat],
  );

  const retry = useCallback((message: string) => void chat.send(message), [chat.send]);
  const sendMessage = retry;

  const newSession = useCallback(() => {
    chat.newSession();
    setSessionName('');
  }, [chat]);

  const taskSuggestions = useMemo(
    () => [...new Set(runs.allRuns.map((run) => run.task_label).filter((label) => label !== ''))].sort(),
    [runs.allRuns],
  );

  const ready = agents.loaded && (models.catalog !== null || models.error !== null);
  useEffect(() => {
    // Marks when the page became usable, for the browser tests and anyone profiling it.
    if (ready && performance.getEntriesByName('agent-lab:usable').length === 0) performance.mark('agent-lab:usable');
  }, [ready]);
  const blocked = status?.maintenance ? 'The lab is under maintenance.' : status?.read_only ? 'Read-only mode: new runs cannot be recorded.' : undefined;
  const settledWebStatus = chat.latest?.run?.web_status && chat.latest.run.web_status !== 'off' ? chat.latest.run.web_status : lastTurnWebStatus(chat.turns);

  return (
    <div className="app" data-testid="app" data-ready={ready ? 'true' : 'false'}>
      <a className="skip-link" href="#chat-input">
        Skip to the message box
      </a>
      <header className="topbar">
        <h1>Agent Lab</h1>
        <ViewTabs />
        {status?.version && <span className="muted small">v{status.version}</span>}
        <span className="spacer" />
        <ThemeToggle />
      </header>
      <Banners state={labStatus} />
      <main className="layout">
        <aside className="column column-left" aria-label="Agent and sessions">
          <AgentPanel
            agents={agents}
            catalog={models.catalog}
            modelsLoading={models.loading}
            modelsError={models.error}
            onRefreshModels={() => void models.refresh()}
            tags={tags}
            onTagsChange={setTags}
            taskSuggestions={taskSuggestions}
            readOnly={status?.read_only === true}
          />
          <SessionsPanel
            sessions={sessions}
            currentId={chat.sessionId}
            currentName={sessionName}
            busy={sessionBusy || chat.streaming}
            readOnly={status?.read_only === true}
            onSave={saveSession}
            onNew={newSession}
            onLoad={loadSession}
          />
        </aside>
        <section className="column column-centre" aria-label="Chat">
          <TranscriptView turns={chat.turns} live={chat.live} onRetry={retry} />
          <Composer
            streaming={chat.streaming}
            disabled={blocked !== undefined}
            disabledReason={blocked}
            onSend={sendMessage}
            onStop={chat.stop}
          />
        </section>
        <aside className="column column-right" aria-label="Runs">
          <LatestRunPanel
            latest={chat.latest}
            badge={<LiveWebBadge store={chat.live} fetchEnabled={agents.draft.tools.includes('fetch_url')} settledStatus={settledWebStatus ?? null} />}
          />
          <RunsSection runs={runs} agentNames={agents.agents.map((agent) => agent.name)} />
        </aside>
      </main>
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="status-live">
        {announcement}
      </div>
      <AuthPrompt />
    </div>
  );
}
