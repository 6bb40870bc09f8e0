import { laneLetter } from './lane-letter.js';
import type { LaneState } from './use-bakeoff.js';

/** Two lane pickers (left, right), offered when there are more than two lanes; unfinished lanes are disabled. */
export function LanePairPicker(props: {
  lanes: LaneState[];
  finished: LaneState[];
  pair: [number, number];
  onChange: (pair: [number, number]) => void;
  testIdPrefix: string;
}) {
  if (props.lanes.length <= 2) return null;
  const options = props.lanes.map((lane) => (
    <option key={lane.lane} value={lane.lane} disabled={!props.finished.includes(lane)}>
      {laneLetter(lane.lane)}
    </option>
  ));
  const [first, second] = props.pair;
  return (
    <div className="inline vote-pair">
      <label>
        Left{' '}
        <select value={first} onChange={(event) => props.onChange([Number(event.target.value), second])} data-testid={`${props.testIdPrefix}-first`}>
          {options}
        </select>
      </label>
      <label>
        Right{' '}
        <select value={second} onChange={(event) => props.onChange([first, Number(event.target.value)])} data-testid={`${props.testIdPrefix}-second`}>
          {options}
        </select>
      </label>
    </div>
  );
}

/** The lanes whose latest turn finished with a run: the ones a vote or a judge can compare. */
export function finishedLanes(lanes: LaneState[]): LaneState[] {
  return lanes.filter((lane) => lane.status === 'done' && lane.turns.at(-1)?.run?.run_id);
}
