import { useId, useState } from 'react';

/** A range slider paired with a number input; both edit the same value, kept within its range. */
export function SliderField(props: {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  testId: string;
  onChange: (value: number) => void;
  integer?: boolean;
}) {
  const { label, value, min, max, step, testId, onChange, integer = false } = props;
  const id = useId();
  // What the user is typing, kept while the box has focus so "1." or "" can be typed through;
  // otherwise the box shows the value itself, so a change from outside (Revert, another agent)
  // appears in the same render rather than one effect later.
  const [typed, setTyped] = useState<string | null>(null);

  const commit = (raw: string): void => {
    const parsed = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(parsed)) return;
    const clamped = Math.min(max, Math.max(min, integer ? Math.round(parsed) : parsed));
    onChange(clamped);
  };

  return (
    <div className="field slider-field">
      <label htmlFor={`${id}-number`}>{label}</label>
      <div className="slider-row">
        <input
          type="range"
          aria-label={`${label} slider`}
          min={min}
          max={max}
          step={step}
          value={Math.min(max, value)}
          onChange={(event) => commit(event.target.value)}
          data-testid={`${testId}-range`}
        />
        <input
          id={`${id}-number`}
          type="number"
          min={min}
          max={integer ? undefined : max}
          step={step}
          value={typed ?? String(value)}
          onChange={(event) => {
            setTyped(event.target.value);
            commit(event.target.value);
          }}
          onBlur={() => setTyped(null)}
          data-testid={`${testId}-input`}
        />
      </div>
    </div>
  );
}
