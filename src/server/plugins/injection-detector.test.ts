import { describe, expect, it } from 'vitest';
import { scanUrl, scanValue } from './injection-detector.js';

const kinds = (findings: Array<{ kind: string }>) => findings.map((finding) => finding.kind).sort();

describe('injection detection', () => {
  it('finds script tags, SQL meta-sequences and path traversal', () => {
    expect(kinds(scanValue({ message: '<script>alert(1)</script>' }, 'body'))).toEqual(['xss']);
    expect(kinds(scanValue({ name: "admin' OR 1=1 --" }, 'body'))).toEqual(['sql']);
    expect(kinds(scanValue({ q: '1 UNION SELECT password FROM users' }, 'body'))).toEqual(['sql']);
    expect(kinds(scanValue({ q: 'x; DROP TABLE runs' }, 'body'))).toEqual(['sql']);
    expect(kinds(scanValue({ session_id: '../../etc/passwd' }, 'body'))).toEqual(['path_traversal']);
    expect(kinds(scanUrl('/api/sessions/..%2F..%2Fetc%2Fpasswd'))).toEqual(['path_traversal']);
    expect(kinds(scanUrl('/api/runs?model=%27%20OR%20%271%27%3D%271'))).toEqual(['sql']);
  });

  it('leaves ordinary prompts alone', () => {
    const prompts = [
      "What's the difference between a join and a union in SQL?",
      'Summarise ../README in two lines', // traversal only counts in ids and paths
      "I don't or won't = maybe",
      'Use select and update statements carefully.',
    ];
    for (const message of prompts) expect(scanValue({ message }, 'body')).toEqual([]);
    expect(scanUrl('/api/agents/0193b6d2-7f1e-7c3a-9d2e-1a2b3c4d5e6f')).toEqual([]);
  });

  it('names where the finding was', () => {
    expect(scanValue({ tags: { run_notes: '<iframe src=x>' } }, 'body')[0]).toMatchObject({ kind: 'xss', location: 'body.tags.run_notes' });
  });
});
