import { createAgent, startBenchLab, type BenchLab } from './support/lab.js';
import { goalCell, ms, ratio, span, type SectionReport } from './support/report.js';
import { LAB_TOKEN, loadAgent, openStream, PROVIDER_TOKEN } from './support/sse-load.js';
import { percentile, sleep } from './support/stats.js';

/**
 * Stop: the client drops its connection after a few tokens; how long until the test server
 * sees the upstream socket close (its `closedAt`, on our clock). Baseline: the same drop
 * straight on the test server (the loopback floor). Also `POST /api/runs/:id/cancel`.
 */

const SLOW = '[[scenario:slow delay=20 tokens=200]]';

/** Wait for the chat request carrying `nonce` to be closed on the test server; its closedAt. */
async function closedAt(lab: BenchLab, nonce: string, timeoutMs = 3000): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const record = lab.provider.chatRequests().find((candidate) => JSON.stringify(candidate.body).includes(nonce));
    if (record?.closedAt !== undefined) return record.closedAt;
    await sleep(1);
  }
  return undefined;
}

export async function runStopBench(options: { stops?: number; cancels?: number } = {}): Promise<SectionReport> {
  const stops = options.stops ?? 20;
  const cancels = options.cancels ?? 10;
  const lab = await startBenchLab();
  const agent = loadAgent();
  const viaLab: number[] = [];
  const direct: number[] = [];
  const viaCancel: number[] = [];
  let missing = 0;
  try {
    const agentId = await createAgent(lab.url);
    for (let index = 0; index < stops + 2; index++) {
      for (const side of index % 2 === 0 ? (['lab', 'direct'] as const) : (['direct', 'lab'] as const)) {
        const nonce = `stop-${side}-${index}`;
        const message = `${SLOW} ${nonce}`;
        let stream: ReturnType<typeof openStream>;
        let droppedAt = 0;
        const drop = (count: number) => {
          if (count >= 3 && droppedAt === 0) droppedAt = stream.destroy();
        };
        stream =
          side === 'lab'
            ? openStream({ url: `${lab.url}/api/chat`, agent, marker: LAB_TOKEN, body: { agent_id: agentId, message }, onTokens: drop })
            : openStream({
                url: `${lab.provider.url}/chat/completions`,
                agent,
                marker: PROVIDER_TOKEN,
                headers: { authorization: 'Bearer sk-or-test-key-0123456789' },
                body: { model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: message }] },
                onTokens: drop,
              });
        await stream.done;
        const closed = await closedAt(lab, nonce);
        if (closed === undefined || droppedAt === 0) {
          missing += 1;
          continue;
        }
        if (index < 2) continue; // warm-up
        (side === 'lab' ? viaLab : direct).push(closed - droppedAt);
      }
      lab.provider.reset();
      await sleep(30); // the aborted run is stored; let it settle
    }
    for (let index = 0; index < cancels; index++) {
      const nonce = `cancel-${index}`;
      let received = '';
      const stream = openStream({
        url: `${lab.url}/api/chat`,
        agent,
        marker: LAB_TOKEN,
        body: { agent_id: agentId, message: `${SLOW} ${nonce}` },
        onChunk: (text) => void (received += text),
      });
      await stream.firstToken;
      const runId = /"run_id":"([^"]+)"/.exec(received)?.[1];
      if (!runId) {
        missing += 1;
        stream.destroy();
        continue;
      }
      const cancelledAt = performance.now();
      const response = await fetch(`${lab.url}/api/runs/${runId}/cancel`, { method: 'POST' });
      await response.arrayBuffer();
      const closed = await closedAt(lab, nonce);
      if (closed !== undefined && response.status === 200) viaCancel.push(closed - cancelledAt);
      else missing += 1;
      await stream.done;
      lab.provider.reset();
    }
  } finally {
    agent.destroy();
    await lab.close();
  }
  const p = (values: number[], q: number) => percentile(values, q);
  const labP50 = p(viaLab, 50);
  const labP95 = p(viaLab, 95);
  return {
    id: 'stop',
    title: '2. Stop',
    method:
      `A stream (\`${SLOW}\`) is dropped by the client after its 3rd token; the figure is the time until the test server's socket for that ` +
      `request closes (\`closedAt\`, same clock). ${viaLab.length} stops through the lab, ${direct.length} straight on the test server (baseline: the loopback floor), alternating. ` +
      `Cancel: \`POST /api/runs/:id/cancel\` sent → upstream closed (${viaCancel.length} runs).`,
    rows: [
      { figure: 'client gone → upstream closed, p50', value: ms(labP50, 2), baseline: ms(p(direct, 50), 2), ratio: ratio(labP50, p(direct, 50)), goal: goalCell('≤ 50 ms', labP50 <= 50), range: '' },
      { figure: 'client gone → upstream closed, p95', value: ms(labP95, 2), baseline: ms(p(direct, 95), 2), ratio: ratio(labP95, p(direct, 95)), goal: goalCell('≤ 50 ms', labP95 <= 50), range: span(viaLab, (v) => ms(v, 1)) },
      { figure: 'cancel request sent → upstream closed, p50', value: ms(p(viaCancel, 50), 2), baseline: '', ratio: '', goal: '', range: span(viaCancel, (v) => ms(v, 1)) },
      { figure: 'cancel request sent → upstream closed, p95', value: ms(p(viaCancel, 95), 2), baseline: '', ratio: '', goal: '', range: '' },
    ],
    notes: missing > 0 ? [`${missing} attempts had no close recorded within 3 s and were left out.`] : [],
    goals: [{ goal: 'Stop: client gone → upstream closed ≤ 50 ms (p50 and p95)', met: labP50 <= 50 && labP95 <= 50, detail: `p50 ${ms(labP50, 1)}, p95 ${ms(labP95, 1)}` }],
  };
}

