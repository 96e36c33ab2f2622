/**
 * ISO 22400-1/-2 time and quantity elements for one work unit over one period, and the KPIs
 * derived from them. Element names follow ISO 22400 (see ../shared/reference/manufacturing-kpis.md).
 *
 * Everything here is a SUM (ms or units), so elements of several machines, shifts or days are
 * added first and the KPIs computed afterwards: never average percentages (the ISO roll-up rule).
 */
export interface OeeElements {
  /** POT, planned operation time: scheduled shift time, breaks included (ms) */
  readonly pot: number
  /** PDOT, planned down time: breaks + 'planned-stop' states inside the shift (ms) */
  readonly pdot: number
  /** PBT = POT − PDOT, planned busy time (ms) */
  readonly pbt: number
  /** APT, actual production time: 'running' inside PBT (ms) */
  readonly apt: number
  /** AUST, actual unit set-up time: 'setup' inside PBT (ms) */
  readonly aust: number
  /** ADET, actual unit delay time: 'down' inside PBT (malfunctions, stops during production) (ms) */
  readonly adet: number
  /** ADOT, actual unit down time with no production demand: 'idle' inside PBT (ms) */
  readonly adot: number
  /** Part of PBT with no machine state reported (a data gap, not a state) (ms) */
  readonly noData: number
  /** PQ = GQ + SQ + RQ, produced quantity */
  readonly pq: number
  /** GQ, good quantity (good at the end of the period, not counting reworked units) */
  readonly gq: number
  /** SQ, scrap quantity */
  readonly sq: number
  /** RQ, rework quantity */
  readonly rq: number
  /** IP, inspected at first inspection (defaults to PQ) */
  readonly ip: number
  /** GP, good at first inspection (defaults to GQ) */
  readonly gp: number
  /** Σ(PRI × PQ): ideal time of everything produced (ms) */
  readonly idealTime: number
  /** FE, failure events that start in this period's planned busy time */
  readonly fe: number
  /** ΣTTR: failure time inside planned busy time (ms) */
  readonly ttr: number
  /** ΣTBF: operating time (APT) between failures inside planned busy time (ms) */
  readonly tbf: number
}

export const ZERO_ELEMENTS: OeeElements = Object.freeze({
  pot: 0,
  pdot: 0,
  pbt: 0,
  apt: 0,
  aust: 0,
  adet: 0,
  adot: 0,
  noData: 0,
  pq: 0,
  gq: 0,
  sq: 0,
  rq: 0,
  ip: 0,
  gp: 0,
  idealTime: 0,
  fe: 0,
  ttr: 0,
  tbf: 0,
})

const KEYS = Object.keys(ZERO_ELEMENTS) as (keyof OeeElements)[]

/** Element-wise sum: the only correct way to roll up equipment → line → site or shift → day → week. */
export function sumElements(list: Iterable<OeeElements>): OeeElements {
  const acc: Record<keyof OeeElements, number> = { ...ZERO_ELEMENTS }
  for (const e of list) for (const k of KEYS) acc[k] += e[k]
  return acc
}

export interface OeeKpis {
  /** AUPT = APT + AUST (ms) */
  readonly aupt: number
  /** AUBT = AUPT + ADET (ms) */
  readonly aubt: number
  /** APT / PBT */
  readonly availability: number | null
  /** PRI × PQ / APT. Above 1 means PRI is too long: flagged by effectivenessAbove100, never capped. */
  readonly effectiveness: number | null
  /** GQ / PQ */
  readonly qualityRate: number | null
  /** OEE index = availability × effectiveness × quality rate */
  readonly oee: number | null
  /** NEE = (AUPT / PBT) × effectiveness × quality rate */
  readonly nee: number | null
  /** APT / (APT + ADET) */
  readonly technicalEfficiency: number | null
  /** AUST / AUPT */
  readonly setupRatio: number | null
  /** APT / AUBT */
  readonly utilizationEfficiency: number | null
  /** AUBT / PBT */
  readonly allocationEfficiency: number | null
  /** GP / IP */
  readonly firstPassYield: number | null
  /** SQ / PQ */
  readonly scrapRatio: number | null
  /** RQ / PQ */
  readonly reworkRatio: number | null
  /** ΣTBF / FE (ms); null when FE = 0 ("n/a") */
  readonly mtbf: number | null
  /** ΣTTR / FE (ms); null when FE = 0 ("n/a") */
  readonly mttr: number | null
  readonly effectivenessAbove100: boolean
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null)

export function oeeKpis(e: OeeElements): OeeKpis {
  const aupt = e.apt + e.aust
  const aubt = aupt + e.adet
  const availability = ratio(e.apt, e.pbt)
  const effectiveness = ratio(e.idealTime, e.apt)
  const qualityRate = ratio(e.gq, e.pq)
  const oee =
    availability === null || effectiveness === null || qualityRate === null
      ? // no running time or no output in planned time: OEE is 0 if time was planned, else undefined
        e.pbt > 0 && (e.apt === 0 || e.pq === 0)
        ? 0
        : null
      : availability * effectiveness * qualityRate
  const uptimeShare = ratio(aupt, e.pbt)
  return {
    aupt,
    aubt,
    availability,
    effectiveness,
    qualityRate,
    oee,
    nee:
      uptimeShare === null || effectiveness === null || qualityRate === null
        ? null
        : uptimeShare * effectiveness * qualityRate,
    technicalEfficiency: ratio(e.apt, e.apt + e.adet),
    setupRatio: ratio(e.aust, aupt),
    utilizationEfficiency: ratio(e.apt, aubt),
    allocationEfficiency: ratio(aubt, e.pbt),
    firstPassYield: ratio(e.gp, e.ip),
    scrapRatio: ratio(e.sq, e.pq),
    reworkRatio: ratio(e.rq, e.pq),
    mtbf: ratio(e.tbf, e.fe),
    mttr: ratio(e.ttr, e.fe),
    effectivenessAbove100: effectiveness !== null && effectiveness > 1,
  }
}
