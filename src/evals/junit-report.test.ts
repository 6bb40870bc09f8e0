import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findRegressions, verdictsOf } from './baseline.js';
import { escapeXml, formatJunit, type JunitUnit } from './junit-report.js';

const unit = (overrides: Partial<JunitUnit>): JunitUnit => ({
  agent_name: 'Good', model: 'test/good', case: 'greet', repeat: 1, run_id: 'r1', latency_ms: 1500, error: '', passed: true, assertions: [], ...overrides,
});

describe('JUnit report', () => {
  it('one testsuite per agent, one testcase per agent × case × repeat, failures with their reasons', () => {
    const xml = formatJunit({
      name: 'smoke',
      experimentId: 'exp-1',
      units: [
        unit({}),
        unit({ agent_name: 'Bad <&>', model: 'test/bad', passed: false, assertions: [{ scorer: 'icontains:hello', pass: false, reason: 'the answer does not contain "hello"' }] }),
        unit({ agent_name: 'Bad <&>', model: 'test/bad', repeat: 2, passed: false, error: 'provider:timeout' }),
      ],
    });
    expect(xml).toContain('<testsuites name="smoke" tests="3" failures="2"');
    expect(xml).toContain('<testsuite name="Good (test/good)" tests="1" failures="0"');
    expect(xml).toContain('<testsuite name="Bad &lt;&amp;&gt; (test/bad)" tests="2" failures="2"');
    expect(xml).toContain('<failure message="icontains:hello: the answer does not contain &quot;hello&quot;" type="assertion">');
    expect(xml).toContain('<failure message="the run failed: provider:timeout"');
    expect(xml).toContain('<testcase classname="Good (test/good)" name="greet #1" time="1.500"/>');
  });

  it('escaped text never carries markup characters or characters XML 1.0 forbids (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeXml(text);
        expect(escaped).not.toMatch(/[<>"']|&(?!(amp|lt|gt|quot|apos);)/);
        // eslint-disable-next-line no-control-regex
        expect(escaped).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
      }),
    );
  });
});

describe('baseline gate', () => {
  it('flags an agent × case whose pass rate fell below the baseline, counting judge errors as failures', () => {
    const baseline = verdictsOf([
      { agent_id: 'a', eval_case: 'greet', kind: 'check', pass: true, value: 1 },
      { agent_id: 'a', eval_case: 'greet', kind: 'judge', pass: true, value: 1 },
      { agent_id: 'a', eval_case: 'other', kind: 'check', pass: false, value: 0 },
      { agent_id: 'a', eval_case: 'greet', kind: 'human', pass: false, value: 0 },
      { agent_id: 'a', eval_case: 'greet', kind: 'pairwise', pass: null, value: 0 },
    ]);
    expect(baseline).toHaveLength(3);
    const current = verdictsOf([
      { agent_id: 'a', eval_case: 'greet', kind: 'check', pass: true, value: 1 },
      { agent_id: 'a', eval_case: 'greet', kind: 'judge', pass: null, value: null },
      { agent_id: 'a', eval_case: 'other', kind: 'check', pass: false, value: 0 },
      { agent_id: 'b', eval_case: 'greet', kind: 'check', pass: false, value: 0 },
    ]);
    expect(findRegressions({ current, baseline })).toEqual([{ agent_id: 'a', eval_case: 'greet', rate: 0.5, baseline: 1 }]);
  });
});
