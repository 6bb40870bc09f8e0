import path from 'node:path';
import { REVOKED_SESSIONS_FILE } from '../store/index.js';

/** Where the lab keeps its files inside DATA_DIR (docs/data-files.md). */
export interface DataPaths {
  dataDir: string;
  sessionsDir: string;
  runsCsv: string;
  /** Scores of evaluations (docs/api.md "Evaluations"). */
  scoresCsv: string;
  agentsJson: string;
  /** One file per agent, when the store keeps agents that way. */
  agentsDir: string;
  /** Logouts that hold until the cookie would have expired (`revoked-sessions.json`). */
  revokedSessionsJson: string;
  quarantineDir: string;
}

export function dataPaths(dataDir: string): DataPaths {
  const root = path.resolve(dataDir);
  return {
    dataDir: root,
    sessionsDir: path.join(root, 'sessions'),
    runsCsv: path.join(root, 'runs.csv'),
    scoresCsv: path.join(root, 'scores.csv'),
    agentsJson: path.join(root, 'agents.json'),
    agentsDir: path.join(root, 'agents'),
    revokedSessionsJson: path.join(root, REVOKED_SESSIONS_FILE),
    quarantineDir: path.join(root, 'quarantined'),
  };
}

/** Session files are `<id>.json`; temporary files never end in `.json`. */
export function isSessionFileName(name: string): boolean {
  return name.endsWith('.json') && !name.startsWith('.');
}
