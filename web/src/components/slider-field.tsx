import { useEffect, useId, useState } from 'react';

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
  const [typed, setTyped] = useState(String(value));
  useEffect(() => setTyped(String(value)), [value]);

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
          value={typed}
          onChange={(event) => {
            setTyped(event.target.value);
            commit(event.target.value);
          }}
          onBlur={() => setTyped(String(value))}
          data-testid={`${testId}-input`}
        />
      </div>
    </div>
  );
}
