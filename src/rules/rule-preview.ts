/**
 * Preview: runs the live engine over historical samples and reports what it would have raised.
 * It is the same engine fed the same way (samples in time order, timers fired by sample time), so a
 * preview equals live evaluation on the same data.
 */
import type { Quality } from '../core/index.ts'
import { createRuleEngine } from './rule-engine.ts'
import type { AlarmPriority, ConditionChange, RuleDefinition, SampleValue } from './rule-types.ts'

export interface PreviewSample {
  readonly point: string
  readonly ts: number
  readonly value: SampleValue
  readonly quality?: Quality
}

export interface PreviewOptions {
  /** start of the previewed span: no-data timeouts count from here (default: first sample) */
  readonly from?: number
  /** end of the span: pending delays and timeouts are fired up to here (default: last sample) */
  readonly to?: number
  readonly pointTypes?: Readonly<Record<string, 'number' | 'string' | 'boolean'>>
}

/** One activation of one condition, from raise to clear (null: still active at the end). */
export interface AlarmEpisode {
  readonly conditionId: string
  readonly ruleId: string
  readonly priority: AlarmPriority
  readonly raisedAt: number
  readonly clearedAt: number | null
  readonly message: string
  readonly details?: ConditionChange['details']
}

export interface PreviewResult {
  readonly changes: readonly ConditionChange[]
  readonly episodes: readonly AlarmEpisode[]
  /** activations per rule id */
  readonly activations: Readonly<Record<string, number>>
}

/** Pairs 'active' and 'inactive' changes into episodes, in order of raising. */
export function episodesOf(changes: readonly ConditionChange[]): AlarmEpisode[] {
  const open = new Map<string, number>()
  const episodes: AlarmEpisode[] = []
  for (const c of changes) {
    if (c.change === 'active') {
      open.set(c.conditionId, episodes.length)
      episodes.push({
        conditionId: c.conditionId,
        ruleId: c.ruleId,
        priority: c.priority,
        raisedAt: c.at,
        clearedAt: null,
        message: c.message,
        ...(c.details === undefined ? {} : { details: c.details }),
      })
    } else if (c.change === 'inactive') {
      const i = open.get(c.conditionId)
      if (i === undefined) continue
      open.delete(c.conditionId)
      episodes[i] = { ...(episodes[i] as AlarmEpisode), clearedAt: c.at }
    }
  }
  return episodes
}

export function previewRules(
  rules: readonly RuleDefinition[],
  samples: readonly PreviewSample[],
  options: PreviewOptions = {},
): PreviewResult {
  // the clock is never consulted: every tick below passes its time explicitly
  const engine = createRuleEngine({
    rules,
    clock: { now: () => Number.NaN },
    ...(options.pointTypes === undefined ? {} : { pointTypes: options.pointTypes }),
  })
  const sorted = samples
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.ts - b.s.ts || a.i - b.i)
    .map((x) => x.s)
  const changes: ConditionChange[] = []
  const from = options.from ?? sorted[0]?.ts
  const to = options.to ?? sorted[sorted.length - 1]?.ts
  if (from !== undefined) changes.push(...engine.tick(from))
  for (const s of sorted) {
    if (to !== undefined && s.ts > to) break
    if (from !== undefined && s.ts < from) continue
    changes.push(...engine.onSample(s.point, s.ts, s.value, s.quality ?? 'good'))
  }
  if (to !== undefined) changes.push(...engine.tick(to))
  const activations: Record<string, number> = {}
  for (const c of changes) if (c.change === 'active') activations[c.ruleId] = (activations[c.ruleId] ?? 0) + 1
  return { changes, episodes: episodesOf(changes), activations }
}
