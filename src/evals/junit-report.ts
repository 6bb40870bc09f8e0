/**
 * JUnit XML for an eval (what CI systems read): one `<testsuite>` per agent, one `<testcase>`
 * per agent × case × repeat, a `<failure>` listing the assertions that failed.
 */

/** One agent × case × repeat, as the report needs it. */
export interface JunitUnit {
  agent_name: string;
  model: string;
  case: string;
  repeat: number;
  run_id: string;
  latency_ms: number;
  error: string;
  passed: boolean;
  assertions: Array<{ scorer: string; pass: boolean; reason: string }>;
}

/** XML 1.0 has no way to carry most control characters: they are dropped. */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text safe inside an XML attribute or element. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** The whole report. */
export function formatJunit(options: { name: string; experimentId: string; units: readonly JunitUnit[] }): string {
  const byAgent = new Map<string, JunitUnit[]>();
  for (const unit of options.units) byAgent.set(`${unit.agent_name} (${unit.model})`, [...(byAgent.get(`${unit.agent_name} (${unit.model})`) ?? []), unit]);
  const failures = options.units.filter((unit) => !unit.passed).length;
  const total = options.units.reduce((sum, unit) => sum + unit.latency_ms, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(options.name)}" tests="${options.units.length}" failures="${failures}" errors="0" time="${seconds(total)}">`,
  ];
  for (const [suite, units] of byAgent) {
    const suiteFailures = units.filter((unit) => !unit.passed).length;
    const suiteTime = units.reduce((sum, unit) => sum + unit.latency_ms, 0);
    lines.push(`  <testsuite name="${escapeXml(suite)}" tests="${units.length}" failures="${suiteFailures}" errors="0" skipped="0" time="${seconds(suiteTime)}">`);
    lines.push(`    <properties><property name="experiment_id" value="${escapeXml(options.experimentId)}"/></properties>`);
    for (const unit of units) {
      const name = `${unit.case} #${unit.repeat}`;
      const open = `    <testcase classname="${escapeXml(suite)}" name="${escapeXml(name)}" time="${seconds(unit.latency_ms)}"`;
      if (unit.passed) {
        lines.push(`${open}/>`);
        continue;
      }
      const failed = unit.assertions.filter((assertion) => !assertion.pass);
      const message = unit.error !== '' ? `the run failed: ${unit.error}` : failed.map((assertion) => `${assertion.scorer}: ${assertion.reason}`).join('; ');
      const details = [...(unit.error !== '' ? [`run error: ${unit.error}`] : []), ...failed.map((assertion) => `${assertion.scorer}: ${assertion.reason}`), `run_id: ${unit.run_id}`].join('\n');
      lines.push(`${open}>`);
      lines.push(`      <failure message="${escapeXml(message)}" type="assertion">${escapeXml(details)}</failure>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
