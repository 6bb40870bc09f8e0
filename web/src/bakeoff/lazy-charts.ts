import { lazy } from 'react';

/** recharts loads only when a chart is first shown. */
export const SummaryChart = lazy(() => import('./bakeoff-charts.js').then((module) => ({ default: module.SummaryChart })));
export const CompareChart = lazy(() => import('./bakeoff-charts.js').then((module) => ({ default: module.CompareChart })));
