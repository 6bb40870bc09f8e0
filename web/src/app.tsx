import { lazy, useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { api } from './api/client.js';
import type { ModelCatalog, RunRecord, RunTags, WebStatus } from './api/types.js';
import { Composer } from './chat/composer.js';
import type { LiveMessageStore } from './chat/live-message-store.js';
import { TranscriptView } from './chat/transcript-view.js';
import type { Turn } from './chat/turn.js';
import { useChat, type ReplaceExchange } from './chat/use-chat.js';
import { AgentPanel } from './components/agent-panel.js';
import { UnsavedChanges } from './components/unsaved-changes.js';
import { DiscardChangesDialog } from './components/discard-changes-dialog.js';
import { AuthPrompt } from './components/auth-prompt.js';
import { Banners } from './components/banners.js';
import { WebBadge, webBadgeState } from './components/web-badge.js';
import { Icon } from './components/icons.js';
import { LazyView } from './components/lazy-view.js';
import { Sidebar } from './components/sidebar.js';
import { ThemeToggle } from './components/theme-toggle.js';
import { notifyLabChanged } from './state/lab-events.js';
import { useAgents } from './state/use-agents.js';
import { useAgentSwitchGuard } from './state/use-agent-switch-guard.js';
import { useLabStatus } from './state/use-lab-status.js';
import { useModels } from './state/use-models.js';
import { useRuns } from './state/use-runs.js';
import { useSessions } from './state/use-sessions.js';
import { useTouchScreen } from './state/use-media-query.js';
import { useView, VIEWS, type View } from './state/use-view.js';

const BakeoffView = lazy(() => import('./bakeoff/bakeoff-view.js'));
const EvaluationsView = lazy(() => import('./evals/evaluations-view.js'));
const RunsView = lazy(() => import('./runs/runs-view.js').then((module) => ({ default: module.RunsView })));
const RunDetail = lazy(() => import('./runs/run-detail.js').then((module) => ({ default: module.RunDetail })));

/**
 * The lab: a sidebar (sessions, agents) and one main view at a time — Chat, Runs, Bake-off,
 * Evaluations. The chat stays mounted while another view shows, so an answer keeps streaming.
 */

const TAGS_KEY = 'agent-lab:tags';
const SIDEBAR_KEY = 'agent-lab:sidebar';
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

const VIEW_LABELS: Record<View, string> = { chat: 'Chat', runs: 'Runs', bakeoff: 'Bake-off', evals: 'Evaluations' };

export function App() {
  const labStatus = useLabStatus();
  const status = labStatus.status;
  const models = useModels();
  const defaultModel = useMemo(() => pickDefaultModel(models.catalog, status?.api_key_configured), [models.catalog, status?.api_key_configured]);
  const agents = useAgents({ defaultModel });
  const switchGuard = useAgentSwitchGuard(agents);
  const runs = useRuns();
  const sessions = useSessions();
  const touch = useTouchScreen();
  const [view, setView] = useView();
  const [visited, setVisited] = useState<Set<View>>(() => new Set([view]));
  const [tags, setTags] = useState<RunTags>(loadTags);
  const [announcement, setAnnouncement] = useState('');
  const [sessionBusy, setSessionBusy] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [detailRun, setDetailRun] = useState<RunRecord | null>(null);
  const [sidebarOpen, setSidebarOpen] = useState(() => localStorage.getItem(SIDEBAR_KEY) !== 'closed' && !matchMedia('(max-width: 760px)').matches);

  useEffect(() => {
    localStorage.setItem(TAGS_KEY, JSON.stringify(tags));
  }, [tags]);
  useEffect(() => {
    setVisited((current) => (current.has(view) ? current : new Set([...current, view])));
  }, [view]);

  useEffect(() => {
    // Into a phone's width the sidebar becomes a closed drawer; back to a desktop it is as the user left it.
    const phone = matchMedia('(max-width: 760px)');
    const onChange = () => setSidebarOpen(!phone.matches && localStorage.getItem(SIDEBAR_KEY) !== 'closed');
    phone.addEventListener('change', onChange);
    return () => phone.removeEventListener('change', onChange);
  }, []);

  useEffect(() => {
    // Ctrl/Cmd+K from another view: back to the chat, in the message box (the composer handles it in the chat).
    if (view === 'chat') return;
    const onKey = (event: KeyboardEvent) => {
      if (!((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k')) return;
      event.preventDefault();
      setView('chat');
      requestAnimationFrame(() => document.getElementById('chat-input')?.focus());
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [view, setView]);

  const toggleSidebar = useCallback((open: boolean) => {
    setSidebarOpen(open);
    if (!matchMedia('(max-width: 760px)').matches) localStorage.setItem(SIDEBAR_KEY, open ? 'open' : 'closed');
  }, []);
  const closeDrawerOnPhone = useCallback(() => {
    if (matchMedia('(max-width: 760px)').matches) setSidebarOpen(false);
  }, []);

  const onRunRecorded = useCallback((_run: RunRecord) => notifyLabChanged('runs', 'sessions', 'scores'), []);

  const chat = useChat({
    agentForRequest: agents.forRequest,
    getTags: () => tags,
    onRunRecorded,
    announce: setAnnouncement,
  });

  const loadSession = useCallback(
    async (id: string) => {
      setSessionBusy(true);
      try {
        const session = await api.getSession(id);
        chat.loadSession(session);
        agents.restore(session.agent_config);
        const lastRun = session.runs?.[session.runs.length - 1];
        if (lastRun) {
          setTags({ experiment_id: lastRun.experiment_id ?? '', task_label: lastRun.task_label ?? '', run_notes: lastRun.run_notes ?? '' });
        }
        setView('chat');
        closeDrawerOnPhone();
        setAnnouncement(`Session “${session.name || id}” loaded.`);
      } finally {
        setSessionBusy(false);
      }
    },
    [agents, chat, setView, closeDrawerOnPhone],
  );

  const send = useCallback((message: string, options?: { replace?: ReplaceExchange }) => void chat.send(message, options), [chat.send]);

  const newChat = useCallback(() => {
    chat.newSession();
    setView('chat');
    closeDrawerOnPhone();
    document.getElementById('chat-input')?.focus();
  }, [chat, setView, closeDrawerOnPhone]);

  const agentLabel = useCallback((agentId: string) => `“${agents.agents.find((agent) => agent.id === agentId)?.name ?? 'another agent'}”`, [agents.agents]);

  /** Another agent on the form (the header's switch, the sidebar's agent): asked first when unsaved settings would be lost. */
  const switchAgent = useCallback(
    (agentId: string) => {
      if (agentId === agents.selectedId) return;
      switchGuard.request({ target: agentLabel(agentId), proceed: () => agents.select(agentId) });
    },
    [agents, agentLabel, switchGuard.request],
  );

  const editAgent = useCallback(
    (agentId: string | null) => {
      const open = () => {
        setSettingsOpen(true);
        setView('chat');
        closeDrawerOnPhone();
      };
      if (agentId === null) {
        switchGuard.request({
          target: 'a new agent',
          proceed: () => {
            agents.startNew();
            open();
          },
        });
      } else if (agentId === agents.selectedId) {
        open(); // the agent on the form, with its changes
      } else {
        switchGuard.request({
          target: agentLabel(agentId),
          proceed: () => {
            agents.select(agentId);
            open();
          },
        });
      }
    },
    [agents, agentLabel, switchGuard.request, setView, closeDrawerOnPhone],
  );

  const ratings = useMemo(() => {
    const byRun = new Map<string, number>();
    for (const [runId, scores] of runs.scores) {
      const human = scores.filter((score) => score.kind === 'human' && score.value !== null).at(-1);
      if (human?.value !== null && human?.value !== undefined) byRun.set(runId, human.value);
    }
    return byRun;
  }, [runs.scores]);

  const taskSuggestions = useMemo(() => [...new Set(runs.allRuns.map((run) => run.task_label).filter((label) => label !== ''))].sort(), [runs.allRuns]);

  const ready = agents.loaded && (models.catalog !== null || models.error !== null);
  useEffect(() => {
    // Marks when the page became usable, for the browser tests and anyone profiling it.
    if (ready && performance.getEntriesByName('agent-lab:usable').length === 0) performance.mark('agent-lab:usable');
  }, [ready]);
  const blocked = status?.maintenance ? 'The lab is under maintenance.' : status?.read_only ? 'Read-only mode: new runs cannot be recorded.' : undefined;
  const settledWebStatus = chat.latest?.run?.web_status && chat.latest.run.web_status !== 'off' ? chat.latest.run.web_status : lastTurnWebStatus(chat.turns);
  const readOnly = status?.read_only === true;

  return (
    <div
      className={`app ${sidebarOpen ? 'sidebar-open' : 'sidebar-closed'}`}
      data-testid="app"
      data-ready={ready ? 'true' : 'false'}
      data-view={view}
      data-touch={touch ? 'true' : 'false'}
    >
      <a className="skip-link" href="#chat-input">
        Skip to the message box
      </a>
      <aside className="sidebar" aria-label="Sidebar" data-testid="sidebar" hidden={!sidebarOpen}>
        <div className="brand">
          <strong>Agent Lab</strong>
          {status?.version && <span className="muted small">v{status.version}</span>}
        </div>
        <Sidebar
          sessions={sessions}
          runs={runs.allRuns}
          agents={agents}
          currentSessionId={chat.sessionId}
          busy={sessionBusy || chat.streaming}
          readOnly={readOnly}
          onNewChat={newChat}
          onLoadSession={loadSession}
          onEditAgent={editAgent}
          onPickAgent={switchAgent}
          onSwitchAgent={switchGuard.request}
          onClose={() => toggleSidebar(false)}
        />
      </aside>
      {sidebarOpen && <div className="drawer-scrim" onClick={() => setSidebarOpen(false)} aria-hidden="true" />}
      <div className="main">
        <header className="topbar">
          <button
            type="button"
            className="icon-button"
            onClick={() => toggleSidebar(!sidebarOpen)}
            aria-label={sidebarOpen ? 'Hide the sidebar' : 'Show the sidebar'}
            aria-expanded={sidebarOpen}
            data-testid="sidebar-toggle"
          >
            <Icon name="menu" size={18} />
          </button>
          <nav className="view-tabs" aria-label="Views">
            {VIEWS.map((name) => (
              <a key={name} href={`#${name}`} className={view === name ? 'tab active' : 'tab'} aria-current={view === name ? 'page' : undefined} data-testid={`view-tab-${name}`}>
                {VIEW_LABELS[name]}
              </a>
            ))}
          </nav>
          <span className="spacer" />
          <ThemeToggle />
        </header>
        <Banners state={labStatus} />

        <section className="view chat-view" aria-label="Chat" hidden={view !== 'chat'} data-testid="chat-view">
          <div className="chat-header">
            <label htmlFor="agent-select" className="visually-hidden">
              Agent
            </label>
            <select
              id="agent-select"
              className="agent-switch"
              value={agents.selectedId ?? ''}
              onChange={(event) => event.target.value && switchAgent(event.target.value)}
              data-testid="agent-select"
            >
              <option value="">{agents.draft.name || 'Unsaved agent'} (unsaved)</option>
              {agents.agents.map((agent) => (
                <option key={agent.id} value={agent.id}>
                  {agent.name}
                </option>
              ))}
            </select>
            <button type="button" className="link-button chat-model mono" onClick={() => setSettingsOpen(true)} title="Change the model in the settings" data-testid="chat-model">
              {agents.draft.model || 'no model'}
            </button>
            <LiveWebBadge store={chat.live} fetchEnabled={agents.draft.tools.includes('fetch_url')} settledStatus={settledWebStatus ?? null} />
            <span className="spacer" />
            <UnsavedChanges agents={agents} readOnly={readOnly} />
            <button type="button" className={settingsOpen ? 'small-button active' : 'small-button'} aria-expanded={settingsOpen} onClick={() => setSettingsOpen(!settingsOpen)} data-testid="settings-toggle">
              <Icon name="gear" size={14} /> Settings
            </button>
          </div>
          <div className="chat-body">
            <div className="chat-column">
              <TranscriptView turns={chat.turns} live={chat.live} streaming={chat.streaming} onSend={send} onDetails={setDetailRun} touch={touch} ratings={ratings} />
              <Composer streaming={chat.streaming} disabled={blocked !== undefined} disabledReason={blocked} onSend={(message) => send(message)} onStop={chat.stop} touch={touch} active={view === 'chat'} />
            </div>
            {settingsOpen && (
              <aside className="sheet settings-sheet" aria-label="Agent settings">
                <header className="sheet-head">
                  <h2>Agent settings</h2>
                  <span className="spacer" />
                  <button type="button" className="small-button" onClick={() => setSettingsOpen(false)} aria-label="Close the settings" data-testid="settings-close">
                    <Icon name="close" />
                  </button>
                </header>
                <div className="sheet-body">
                  <AgentPanel
                    agents={agents}
                    catalog={models.catalog}
                    modelsLoading={models.loading}
                    modelsError={models.error}
                    onRefreshModels={() => void models.refresh()}
                    tags={tags}
                    onTagsChange={setTags}
                    taskSuggestions={taskSuggestions}
                    readOnly={readOnly}
                  />
                </div>
              </aside>
            )}
          </div>
        </section>

        {visited.has('runs') && (
          <div className="view-host" hidden={view !== 'runs'}>
            <LazyView what="runs view">
              <RunsView runs={runs} agents={agents.agents} />
            </LazyView>
          </div>
        )}
        {visited.has('bakeoff') && (
          <div className="view-host" hidden={view !== 'bakeoff'}>
            <LazyView what="bake-off view">
              <BakeoffView />
            </LazyView>
          </div>
        )}
        {visited.has('evals') && (
          <div className="view-host" hidden={view !== 'evals'}>
            <LazyView what="evaluations view">
              <EvaluationsView active={view === 'evals'} />
            </LazyView>
          </div>
        )}
      </div>
      {detailRun && (
        <LazyView what="run detail">
          <RunDetail run={detailRun} scores={runs.scores.get(detailRun.run_id) ?? []} onClose={() => setDetailRun(null)} />
        </LazyView>
      )}
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="status-live">
        {announcement}
      </div>
      <DiscardChangesDialog guard={switchGuard} agents={agents} readOnly={readOnly} />
      <AuthPrompt />
    </div>
  );
}
