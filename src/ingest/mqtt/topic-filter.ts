/**
 * Topic names, topic filters and the subscription index (MQTT 3.1.1 §4.7, MQTT 5 §4.7–4.8).
 * Pure code, no I/O: the broker keeps one SubscriptionTree and asks it who gets a message.
 */

/** A topic name a client may publish to: non-empty, no wildcards, no NUL (MQTT-4.7.3-1/2, 1.5.3-2). */
export function isValidTopicName(topic: string): boolean {
  if (topic.length === 0 || topic.length > 65535) return false
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i)
    if (c === 0x2b /* + */ || c === 0x23 /* # */ || c === 0) return false
  }
  return true
}

/** A topic filter: `+` fills a whole level, `#` only as the whole last level (MQTT-4.7.1-2/3). */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 65535) return false
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!
    if (level.includes('\u0000')) return false
    if (level === '#') {
      if (i !== levels.length - 1) return false
    } else if (level === '+') {
      // fine: a whole level
    } else if (level.includes('#') || level.includes('+')) {
      return false
    }
  }
  return true
}

export interface SharedFilter {
  readonly group: string
  readonly filter: string
}

/**
 * `$share/{group}/{filter}` (MQTT 5 §4.8.2). Returns null for a plain filter and `undefined` for a
 * `$share/` filter that is malformed (empty group, wildcard in the group, no filter).
 */
export function parseSharedFilter(raw: string): SharedFilter | null | undefined {
  if (!raw.startsWith('$share/')) return null
  const rest = raw.slice(7)
  const slash = rest.indexOf('/')
  if (slash <= 0) return undefined
  const group = rest.slice(0, slash)
  const filter = rest.slice(slash + 1)
  if (group.includes('+') || group.includes('#')) return undefined
  if (!isValidTopicFilter(filter)) return undefined
  return { group, filter }
}

/** Whether `filter` matches `topic`; `$`-topics are not matched by a wildcard at the first level (MQTT-4.7.2-1). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!
    if (level === '#') return true
    if (i >= t.length) return false
    if (level !== '+' && level !== t[i]) return false
  }
  return f.length === t.length
}

/** What one subscription asked for. */
export interface SubscriptionOptions {
  /** granted QoS (this broker grants at most 1) */
  readonly qos: 0 | 1
  /** MQTT 5 No Local: do not send the subscriber its own publishes */
  readonly noLocal: boolean
  /** MQTT 5 Retain As Published: keep the retain flag when forwarding */
  readonly retainAsPublished: boolean
}

interface SharedGroup<S> {
  readonly members: S[]
  readonly options: Map<S, SubscriptionOptions>
  cursor: number
}

interface Node<S> {
  children: Map<string, Node<S>> | null
  subs: Map<S, SubscriptionOptions> | null
  shared: Map<string, SharedGroup<S>> | null
}

function newNode<S>(): Node<S> {
  return { children: null, subs: null, shared: null }
}

/** One recipient of a routed message. */
export interface Recipient<S> {
  readonly subscriber: S
  readonly options: SubscriptionOptions
}

/**
 * Subscriptions indexed by topic level, so routing a message costs the topic's depth times the
 * wildcard fan-out, not the number of subscriptions (10,000 devices each subscribe to their own
 * command topic). `S` is whatever identifies a subscriber (the broker uses its session object).
 */
export class SubscriptionTree<S> {
  readonly #root: Node<S> = newNode()
  #count = 0

  /** number of (subscriber, filter) pairs */
  get size(): number {
    return this.#count
  }

  /** Adds or replaces a subscription. `filter` must be valid; `group` set for a shared subscription. */
  add(filter: string, subscriber: S, options: SubscriptionOptions, group?: string): void {
    let node = this.#root
    for (const level of filter.split('/')) {
      node.children ??= new Map()
      let next = node.children.get(level)
      if (next === undefined) {
        next = newNode()
        node.children.set(level, next)
      }
      node = next
    }
    if (group === undefined) {
      node.subs ??= new Map()
      if (!node.subs.has(subscriber)) this.#count++
      node.subs.set(subscriber, options)
      return
    }
    node.shared ??= new Map()
    let g = node.shared.get(group)
    if (g === undefined) {
      g = { members: [], options: new Map(), cursor: 0 }
      node.shared.set(group, g)
    }
    if (!g.options.has(subscriber)) {
      g.members.push(subscriber)
      this.#count++
    }
    g.options.set(subscriber, options)
  }

  /** Removes a subscription; returns whether it existed. Prunes emptied branches. */
  remove(filter: string, subscriber: S, group?: string): boolean {
    const levels = filter.split('/')
    const path: Node<S>[] = [this.#root]
    let node = this.#root
    for (const level of levels) {
      const next = node.children?.get(level)
      if (next === undefined) return false
      node = next
      path.push(node)
    }
    let removed = false
    if (group === undefined) {
      removed = node.subs?.delete(subscriber) ?? false
      if (node.subs?.size === 0) node.subs = null
    } else {
      const g = node.shared?.get(group)
      if (g?.options.delete(subscriber)) {
        removed = true
        const i = g.members.indexOf(subscriber)
        if (i >= 0) g.members.splice(i, 1)
        if (g.cursor >= g.members.length) g.cursor = 0
        if (g.members.length === 0) node.shared!.delete(group)
        if (node.shared!.size === 0) node.shared = null
      }
    }
    if (removed) this.#count--
    // prune from the leaf upwards while nodes are empty
    for (let i = levels.length; i > 0; i--) {
      const n = path[i]!
      if (n.subs !== null || n.shared !== null || (n.children !== null && n.children.size > 0)) break
      const parent = path[i - 1]!
      parent.children!.delete(levels[i - 1]!)
      if (parent.children!.size === 0) parent.children = null
    }
    return removed
  }

  /**
   * Who receives a message on `topic`. A subscriber matched by several filters appears once, with
   * the highest QoS among them (MQTT 5 §4.7.3 allows either). Each matching shared group yields one
   * member, chosen round robin among those for which `prefer` is true (online), else the next member.
   */
  match(topic: string, prefer: (s: S) => boolean): Recipient<S>[] {
    const levels = topic.split('/')
    const out = new Map<S, SubscriptionOptions>()
    const groups: SharedGroup<S>[] = []
    const dollar = topic.startsWith('$')
    this.#walk(this.#root, levels, 0, dollar, out, groups)
    for (const g of groups) {
      const n = g.members.length
      if (n === 0) continue
      let pick = -1
      for (let k = 0; k < n; k++) {
        const i = (g.cursor + k) % n
        if (prefer(g.members[i]!)) {
          pick = i
          break
        }
      }
      if (pick < 0) pick = g.cursor % n
      g.cursor = (pick + 1) % n
      const member = g.members[pick]!
      merge(out, member, g.options.get(member)!)
    }
    const result: Recipient<S>[] = []
    for (const [subscriber, options] of out) result.push({ subscriber, options })
    return result
  }

  #walk(
    node: Node<S>,
    levels: string[],
    depth: number,
    dollar: boolean,
    out: Map<S, SubscriptionOptions>,
    groups: SharedGroup<S>[],
  ): void {
    const children = node.children
    if (children === null) return
    const wildOk = !(dollar && depth === 0)
    if (wildOk) {
      // `#` also matches the parent level itself: `a/#` matches `a`
      const hash = children.get('#')
      if (hash !== undefined) collect(hash, out, groups)
    }
    if (depth === levels.length) return
    const exact = children.get(levels[depth]!)
    if (exact !== undefined) {
      if (depth + 1 === levels.length) collect(exact, out, groups)
      this.#walk(exact, levels, depth + 1, dollar, out, groups)
    }
    if (wildOk) {
      const plus = children.get('+')
      if (plus !== undefined) {
        if (depth + 1 === levels.length) collect(plus, out, groups)
        this.#walk(plus, levels, depth + 1, dollar, out, groups)
      }
    }
  }
}

function collect<S>(node: Node<S>, out: Map<S, SubscriptionOptions>, groups: SharedGroup<S>[]): void {
  if (node.subs !== null) for (const [s, o] of node.subs) merge(out, s, o)
  if (node.shared !== null) for (const g of node.shared.values()) groups.push(g)
}

function merge<S>(out: Map<S, SubscriptionOptions>, s: S, o: SubscriptionOptions): void {
  const prev = out.get(s)
  if (prev === undefined || o.qos > prev.qos) out.set(s, o)
}
