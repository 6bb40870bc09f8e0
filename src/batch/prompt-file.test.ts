import { describe, expect, it } from 'vitest';
import { BatchError } from './batch-error.js';
import { detectFormat, parsePromptFile } from './prompt-file.js';

describe('parsePromptFile', () => {
  it('reads JSON Lines, ignoring blank lines; prompt numbers count every record so keys survive a skipped line', () => {
    const file = parsePromptFile({ text: '{"prompt":"a","task_label":"t"}\n\n{"prompt": 3}\n{"prompt":"c"}\r\n', format: 'jsonl', onBadLine: 'skip' });
    expect(file.prompts).toEqual([
      { number: 1, line: 1, prompt: 'a', task_label: 't' },
      { number: 3, line: 4, prompt: 'c', task_label: '' },
    ]);
    expect(file.skipped).toEqual([{ line: 3, reason: '"prompt" must be a string' }]);
  });

  it('stops at the first bad line by default, naming it', () => {
    expect(() => parsePromptFile({ text: '{"prompt":"a"}\n[1,2]\n', format: 'jsonl' })).toThrow(/line 2: expected a JSON object/);
    expect(() => parsePromptFile({ text: '{"task_label":"x"}\n', format: 'jsonl' })).toThrow(/line 1: no "prompt" field/);
  });

  it('reads CSV with quoted commas, newlines and quotes; a short or long record is a bad line', () => {
    const text = 'prompt,task_label\n"a, b",x\n"multi\nline",y\n"q ""quoted""",z\nextra,cols,here\n';
    const file = parsePromptFile({ text, format: 'csv', onBadLine: 'skip' });
    expect(file.prompts.map((prompt) => prompt.prompt)).toEqual(['a, b', 'multi\nline', 'q "quoted"']);
    expect(file.skipped).toHaveLength(1);
    expect(file.skipped[0]!.line).toBe(6);
  });

  it('empty files and files with only bad lines are clear errors', () => {
    for (const text of ['', '  \n\n']) {
      const error = (() => {
        try {
          parsePromptFile({ text, format: 'jsonl' });
        } catch (caught) {
          return caught as BatchError;
        }
      })();
      expect(error?.code).toBe('batch:prompt_file_empty');
    }
    expect(() => parsePromptFile({ text: 'prompt\n', format: 'csv' })).toThrow(/no prompts/);
    expect(() => parsePromptFile({ text: 'nope\n', format: 'jsonl', onBadLine: 'skip' })).toThrow(/no usable prompt.*line 1/);
  });

  it('detects the format from the extension, else from the content', () => {
    expect(detectFormat({ fileName: 'x.csv', text: '{' })).toBe('csv');
    expect(detectFormat({ fileName: 'x.ndjson', text: 'prompt' })).toBe('jsonl');
    expect(detectFormat({ fileName: 'x.txt', text: ' {"prompt":"a"}' })).toBe('jsonl');
    expect(detectFormat({ fileName: 'x', text: 'prompt\na' })).toBe('csv');
  });
});
