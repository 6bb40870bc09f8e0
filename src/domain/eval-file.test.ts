import { describe, expect, it } from 'vitest';
import { EvalFileError, parseEvalJsonl, parseEvalYaml } from './eval-file.js';

const SMOKE = `name: smoke
agents: [Good, Bad]          # names or ids; --agents overrides
repeat: 2
cases:
  - id: greet
    input: "Say hello"
    assert:
      - { type: icontains, value: "hello" }
      - { type: max-latency-ms, value: 5000 }
      - { type: llm-rubric, value: "The answer greets the user", judge: Judge }
`;

describe('eval files', () => {
  it('parses the SPEC example', () => {
    const file = parseEvalYaml(SMOKE);
    expect(file).toMatchObject({ name: 'smoke', agents: ['Good', 'Bad'], repeat: 2 });
    expect(file.cases[0]!.assert).toHaveLength(3);
    expect(file.cases[0]!.assert[2]).toEqual({ type: 'llm-rubric', value: 'The answer greets the user', judge: 'Judge' });
  });

  it('names the line and the field of a mistake', () => {
    const broken = SMOKE.replace('type: max-latency-ms, value: 5000', 'type: max-latency-ms, value: "fast"');
    expect(() => parseEvalYaml(broken)).toThrow(/line 9: cases\.0\.assert\.1\.value: .*number/);
    expect(() => parseEvalYaml(SMOKE.replace('repeat: 2', 'repeats: 2'))).toThrow(/unknown field\(s\) repeats/);
    expect(() => parseEvalYaml('name: [unclosed')).toThrow(EvalFileError);
    expect(() => parseEvalYaml(SMOKE.replace(', judge: Judge', ''))).toThrow(/line 10: .*llm-rubric needs a judge/);
  });

  it('reads JSONL: a settings line and case lines, errors by line', () => {
    const file = parseEvalJsonl('{"name":"j","agents":["A"]}\n\n{"id":"c1","input":"hi","assert":[{"type":"contains","value":"hi"}]}\n{"input":"second"}\n');
    expect(file.cases.map((entry) => entry.id)).toEqual(['c1', 'line-4']);
    expect(() => parseEvalJsonl('{"input":"x"}\n{"input":"y","assert":[{"type":"nope"}]}')).toThrow(/line 2: assert\.0\.type: not a known assertion type/);
    expect(() => parseEvalJsonl('{"input":"x"}\n{oops')).toThrow(/line 2: not valid JSON/);
  });
});
