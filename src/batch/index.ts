/** Batch experiments: every prompt of a file on every agent, through a running lab's HTTP API. */
export { BatchError, type BatchErrorCode } from './batch-error.js';
export { formatSummaryTable, summariseByAgent, type AgentSummary } from './batch-summary.js';
export { LabClient, type BatchRun, type ChatOutcome, type LabAgent } from './lab-client.js';
export { finishedCleanly, pairId, pairIdOfRun, pairKey, planPairs, type BatchPair } from './pairs.js';
export { parsePromptFile, readPromptFile, detectFormat, type BadLinePolicy, type BatchPrompt, type PromptFile } from './prompt-file.js';
export { circuitWaitSeconds, runBatch, type BatchProgress, type BatchReport, type PairResult, type RunBatchOptions } from './run-batch.js';
