import type { Command } from 'commander';
import { checkData } from '../../recovery/check.js';
import { checkDatabase } from '../../recovery/database-check.js';
import { displayPath, EXIT_CODES_HELP, runRecoveryCommand, withDatabase, withUsageExit, type CommandContext } from '../../recovery/cli-support.js';
import { EXIT_CODES } from '../../recovery/recovery-error.js';

/** `agent-lab check`: validate every session file, runs.csv, scores.csv, agents.json and revoked-sessions.json. */
export function register(program: Command, context: CommandContext): void {
  const command = program
    .command('check')
    .description(
      'validate every session file, runs.csv and scores.csv (header, field counts, column types), agents.json and revoked-sessions.json; with DATABASE_URL, ' +
        'the database: reachable, schema current, every agent and session document readable',
    )
    .option('--json', 'print the result as JSON, for scripts')
    .addHelpText('after', `${EXIT_CODES_HELP}\n  (check changes nothing; 1 means damage was found.)`)
    .action(async (options: { json?: boolean }) => {
      await runRecoveryCommand({
        context,
        json: Boolean(options.json),
        body: async ({ config, onProgress }) => {
          const { databaseUrl } = config;
          if (databaseUrl !== undefined) {
            const report = await withDatabase({ databaseUrl, migrate: false, body: (db) => checkDatabase({ db, databaseUrl }) });
            const lines = [
              `Checked PostgreSQL ${report.database} (answered in ${report.ping_ms} ms)`,
              `Schema: ${report.schema.applied.length} migration(s) applied${report.schema.pending.length > 0 ? `, ${report.schema.pending.length} pending` : ''}`,
              `Rows: ${report.rows.agents} agents, ${report.rows.sessions} sessions, ${report.rows.runs} runs, ${report.rows.scores} scores, ${report.rows.revoked_sessions ?? 0} logouts`,
            ];
            for (const problem of report.problems.slice(0, 50)) lines.push(`  ${problem.table} ${problem.id}: ${problem.message}`);
            if (report.problems.length > 50) lines.push(`  ... and ${report.problems.length - 50} more (--json lists all)`);
            for (const warning of report.warnings) lines.push(`Warning: ${warning}`);
            lines.push(report.ok ? 'No damage found.' : 'Damage found: restore the table from a backup (`agent-lab restore --type ... --date ...`).');
            return { exitCode: report.ok ? EXIT_CODES.ok : EXIT_CODES.damage, text: lines.join('\n'), json: report };
          }
          const report = await checkData({ dataDir: config.dataDir, onProgress });
          const lines = [
            `Checked ${displayPath(report.dataDir)}`,
            `Valid sessions: ${report.sessions.valid}, Invalid: ${report.sessions.invalid}`,
            report.runsCsv.exists
              ? `runs.csv: ${report.runsCsv.rowsChecked} rows checked, ${report.runsCsv.damagedRows} damaged${report.runsCsv.headerOk ? '' : ', header damaged'}`
              : 'runs.csv: missing',
            report.scoresCsv.exists
              ? `scores.csv: ${report.scoresCsv.rowsChecked} rows checked, ${report.scoresCsv.damagedRows} damaged${report.scoresCsv.headerOk ? '' : ', header damaged'}`
              : 'scores.csv: none yet',
            report.agents.exists ? `agents.json: ${report.agents.ok ? `ok (${report.agents.count} agents)` : 'damaged'}` : 'agents.json: none yet',
            report.revokedSessions.exists
              ? `revoked-sessions.json: ${report.revokedSessions.ok ? `ok (${report.revokedSessions.count} logouts in force)` : 'damaged'}`
              : 'revoked-sessions.json: none yet (no logouts)',
          ];
          const shown = report.problems.slice(0, 50);
          if (shown.length > 0) {
            lines.push(`Problems (${report.problems.length}):`);
            for (const problem of shown) lines.push(`  ${problem.file}${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.message}`);
            if (report.problems.length > shown.length) lines.push(`  ... and ${report.problems.length - shown.length} more (--json lists all)`);
          }
          for (const warning of report.warnings) lines.push(`Warning: ${warning}`);
          lines.push(
            report.ok
              ? 'No damage found.'
              : 'Damage found: `npx --no-install agent-lab quarantine` moves it aside; then `restore` or `rebuild-csv`.',
          );
          return { exitCode: report.ok ? EXIT_CODES.ok : EXIT_CODES.damage, text: lines.join('\n'), json: report };
        },
      });
    });
  withUsageExit(command);
}
