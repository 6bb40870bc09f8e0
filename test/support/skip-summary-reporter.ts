import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints, at the end of a run, which tests were skipped and why (the notes the prerequisite
 * markers give), so a green run on a machine without nginx or Chromium says what it did not
 * test. With CI=true nothing is skipped: those markers fail instead (test/support/prerequisites.ts).
 */
export default class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    let total = 0;
    for (const testModule of testModules) {
      const skipped = [...testModule.children.allTests('skipped')];
      if (skipped.length === 0) continue;
      total += skipped.length;
      const notes = [...new Set(skipped.map((test) => {
        const result = test.result();
        return result.state === 'skipped' ? result.note : undefined;
      }).filter((note): note is string => Boolean(note)))];
      const file = path.relative(process.cwd(), testModule.moduleId);
      lines.push(`  ${file}: ${skipped.length} skipped${notes.length ? ` — ${notes.join('; ')}` : ''}`);
    }
    if (total === 0) return;
    process.stdout.write(`\n Skipped ${total} test(s); install what is missing to run them (with CI=true these fail):\n${lines.join('\n')}\n\n`);
  }
}
