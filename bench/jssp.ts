/**
 * Job-shop benchmark: `npm run bench:jssp -- [--time-limit s] [--only la01-la40,ft10] [--minizinc]
 * [--workers n] [--seed n] [extra instance files…]`. Solves every instance with the Ronghe solver
 * (and, with --minizinc, with MiniZinc + Gecode at the same limit), validates each schedule with the
 * independent checker and prints one JSON line per set with the mean and max gap to the best-known
 * makespan. Instances and bounds: ../shared/benchmarks/jssp (see its README for the sources).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkSchedule, parseJsspInstance, type ShopModel, solve } from '../src/scheduling/index.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
// ../shared beside the checkout; a git worktree under /work/wt/<name> has it one level further up
const benchDir =
  [resolve(here, '../../shared/benchmarks/jssp'), resolve(here, '../../../shared/benchmarks/jssp')].find(
    (d) => existsSync(join(d, 'bestknown.csv')),
  ) ?? resolve(here, '../../shared/benchmarks/jssp')
const mznModel = resolve(here, '../src/scheduling/minizinc/jobshop.mzn')
const SETS = ['la', 'ft', 'abz', 'orb', 'swv', 'yn'] as const

interface Args {
  timeLimitS: number
  only: string[] | null
  minizinc: boolean
  workers: number
  seed: number
  files: string[]
}

function parseArgs(argv: string[]): Args {
  const a: Args = { timeLimitS: 30, only: null, minizinc: false, workers: 2, seed: 1, files: [] }
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!
    if (x === '--time-limit') a.timeLimitS = Number(argv[++i])
    else if (x === '--only') a.only = expandOnly(argv[++i] ?? '')
    else if (x === '--minizinc') a.minizinc = true
    else if (x === '--workers') a.workers = Number(argv[++i])
    else if (x === '--seed') a.seed = Number(argv[++i])
    else if (x.startsWith('--')) throw new Error(`unknown option ${x}`)
    else a.files.push(x)
  }
  if (!(a.timeLimitS > 0)) throw new Error('--time-limit must be a positive number of seconds')
  return a
}

/** "la01-la05,ft10,swv" → names; a bare prefix selects the whole set. */
function expandOnly(spec: string): string[] {
  const out: string[] = []
  for (const part of spec.split(',').filter((s) => s !== '')) {
    const m = /^([a-z]+)(\d+)-([a-z]+)?(\d+)$/.exec(part)
    if (m !== null) {
      const width = m[2]!.length
      for (let i = Number(m[2]); i <= Number(m[4]); i++) out.push(`${m[1]}${String(i).padStart(width, '0')}`)
    } else out.push(part)
  }
  return out
}

function readBounds(): Map<string, { lb: number; ub: number }> {
  const rows = readFileSync(join(benchDir, 'bestknown.csv'), 'utf8').trim().split('\n').slice(1)
  return new Map(
    rows.map((r) => {
      const c = r.split(',')
      return [c[0]!, { lb: Number(c[3]), ub: Number(c[4]) }] as const
    }),
  )
}

function setOf(name: string): string {
  for (const s of SETS) if (name.startsWith(s) && /^\d/.test(name.slice(s.length))) return s
  return 'other'
}

interface Row {
  name: string
  makespan: number | null
  bestKnown: number | null
  gapPct: number | null
  valid: boolean
  timeMs: number
  provenOptimal?: boolean
}

async function runOurs(name: string, model: ShopModel, lb: number | undefined, args: Args): Promise<Row> {
  const t0 = Date.now()
  const r = await solve(model, {
    timeLimitMs: args.timeLimitS * 1000,
    workers: args.workers,
    seed: args.seed,
    ...(lb === undefined ? {} : { target: lb }),
  })
  const check = checkSchedule(model, r.schedule)
  if (!check.ok) console.error(`${name}: INVALID schedule`, check.errors.slice(0, 5))
  return {
    name,
    makespan: check.kpis.makespan,
    bestKnown: null,
    gapPct: null,
    valid: check.ok && check.kpis.makespan === r.value,
    timeMs: Date.now() - t0,
    provenOptimal: r.reachedTarget,
  }
}

function dzn(model: ShopModel): string {
  const idx = (id: string): number => Number(id.slice(1))
  const mach = model.jobs.map((j) => j.operations.map((o) => idx(o.alternatives[0]!.machine)).join(','))
  const dur = model.jobs.map((j) => j.operations.map((o) => o.alternatives[0]!.duration).join(','))
  return `n = ${model.jobs.length}; m = ${model.machines.length};\nmach = [| ${mach.join(' | ')} |];\ndur = [| ${dur.join(' | ')} |];\n`
}

function run(cmd: string, argv: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString()
    })
    // MiniZinc honours --time-limit itself; this only guards against a hung process
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      res({ code, out })
    })
    child.on('error', () => {
      clearTimeout(timer)
      res({ code: -1, out })
    })
  })
}

async function gecodeAvailable(): Promise<boolean> {
  if (!existsSync('/usr/bin/minizinc')) return false
  const r = await run('minizinc', ['--solvers'], 20_000)
  return /org\.gecode\.gecode/.test(r.out)
}

async function runMiniZinc(name: string, model: ShopModel, args: Args, dir: string): Promise<Row> {
  const data = join(dir, `${name}.dzn`)
  writeFileSync(data, dzn(model))
  const t0 = Date.now()
  const limitMs = args.timeLimitS * 1000
  const r = await run(
    'minizinc',
    ['--solver', 'gecode', '--time-limit', String(limitMs), '-a', '--output-mode', 'json', mznModel, data],
    limitMs + 30_000,
  )
  const blocks = r.out.split('----------').filter((b) => b.includes('"makespan"'))
  const last = blocks[blocks.length - 1]
  let makespan: number | null = null
  let valid = false
  if (last !== undefined) {
    const sol = JSON.parse(last.slice(last.indexOf('{'), last.lastIndexOf('}') + 1)) as {
      makespan: number
      s: number[][]
    }
    makespan = sol.makespan
    // the same independent checker validates Gecode's schedule
    const schedule = {
      operations: model.jobs.flatMap((j, ji) =>
        j.operations.map((o, k) => ({
          job: ji,
          operation: k,
          machine: Number(o.alternatives[0]!.machine.slice(1)),
          start: sol.s[ji]![k]!,
          end: sol.s[ji]![k]! + o.alternatives[0]!.duration,
          setup: 0,
        })),
      ),
    }
    const check = checkSchedule(model, schedule)
    valid = check.ok && check.kpis.makespan <= makespan
  }
  return {
    name,
    makespan,
    bestKnown: null,
    gapPct: null,
    valid,
    timeMs: Date.now() - t0,
    provenOptimal: r.out.includes('=========='),
  }
}

function r3(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1000) / 1000
}

function summary(rows: Row[]): { meanGapPct: number | null; maxGapPct: number | null; solved: number } {
  const gaps = rows.map((r) => r.gapPct).filter((g): g is number => g !== null)
  const round = (x: number): number => Math.round(x * 1000) / 1000
  return {
    meanGapPct:
      gaps.length === rows.length && gaps.length > 0
        ? round(gaps.reduce((a, b) => a + b, 0) / gaps.length)
        : null,
    maxGapPct: gaps.length > 0 ? round(Math.max(...gaps)) : null,
    solved: rows.filter((r) => r.makespan !== null && r.valid).length,
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const bounds = readBounds()
  const instances: { name: string; path: string; set: string }[] = []
  const builtIn = readdirSync(join(benchDir, 'instances')).sort()
  // a bare set name ("swv") selects every instance of the set, as the usage line promises
  const selected = (args.only ?? (args.files.length > 0 ? [] : builtIn)).flatMap((n) =>
    (SETS as readonly string[]).includes(n) ? builtIn.filter((b) => setOf(b) === n) : [n],
  )
  for (const name of selected) {
    if (!builtIn.includes(name)) throw new Error(`unknown instance ${name}`)
    instances.push({ name, path: join(benchDir, 'instances', name), set: setOf(name) })
  }
  for (const f of args.files) instances.push({ name: basename(f), path: resolve(f), set: 'other' })

  const gecode = args.minizinc ? await gecodeAvailable() : false
  const dir = mkdtempSync(join(tmpdir(), 'jssp-mzn-'))
  const ours = new Map<string, Row[]>()
  const theirs = new Map<string, Row[]>()
  try {
    for (const inst of instances) {
      const model = parseJsspInstance(readFileSync(inst.path, 'utf8'), inst.name)
      const b = bounds.get(inst.name)
      const withGap = (r: Row): Row => {
        if (b === undefined || r.makespan === null) return r
        return { ...r, bestKnown: b.ub, gapPct: (100 * (r.makespan - b.ub)) / b.ub }
      }
      const row = withGap(await runOurs(inst.name, model, b?.lb, args))
      ours.set(inst.set, [...(ours.get(inst.set) ?? []), row])
      let line = `${inst.name}: ${row.makespan} (best known ${b?.ub ?? '?'}) ${row.timeMs} ms`
      if (gecode) {
        const mz = withGap(await runMiniZinc(inst.name, model, args, dir))
        theirs.set(inst.set, [...(theirs.get(inst.set) ?? []), mz])
        line += ` | gecode ${mz.makespan}`
      }
      console.error(line)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  for (const set of [...SETS, 'other']) {
    const rows = ours.get(set)
    if (rows === undefined) continue
    const out: Record<string, unknown> = {
      bench: 'jssp',
      set,
      instances: rows.length,
      timeLimitS: args.timeLimitS,
      workers: args.workers,
      seed: args.seed,
      ...summary(rows),
      allValid: rows.every((r) => r.valid),
      results: rows.map((r) => ({
        name: r.name,
        makespan: r.makespan,
        bestKnown: r.bestKnown,
        gapPct: r3(r.gapPct),
      })),
    }
    if (args.minizinc) {
      const mz = theirs.get(set) ?? []
      out['minizinc'] = gecode
        ? {
            solver: 'gecode',
            ...summary(mz),
            allValid: mz.every((r) => r.valid),
            results: mz.map((r) => ({
              name: r.name,
              makespan: r.makespan,
              gapPct: r3(r.gapPct),
              provenOptimal: r.provenOptimal,
            })),
          }
        : { solver: 'gecode', available: false, reason: 'minizinc or its Gecode solver is not installed' }
    }
    console.log(JSON.stringify(out))
  }
}

await main()
