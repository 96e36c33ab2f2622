import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ByteList } from './byte-list.ts'
import {
  isValidTopicFilter,
  isValidTopicName,
  parseSharedFilter,
  SubscriptionTree,
  type SubscriptionOptions,
  topicMatches,
} from './topic-filter.ts'

const q1: SubscriptionOptions = { qos: 1, noLocal: false, retainAsPublished: false }
const q0: SubscriptionOptions = { qos: 0, noLocal: false, retainAsPublished: false }

describe('topic names and filters', () => {
  it('accepts topic names without wildcards and refuses the rest', () => {
    assert.equal(isValidTopicName('spBv1.0/g1/NDATA/edge-1'), true)
    assert.equal(isValidTopicName('/leading/slash'), true)
    assert.equal(isValidTopicName(''), false)
    assert.equal(isValidTopicName('a/+/c'), false)
    assert.equal(isValidTopicName('a/#'), false)
    assert.equal(isValidTopicName('a\u0000b'), false)
  })

  it('accepts + as a whole level and # only as the whole last level', () => {
    assert.equal(isValidTopicFilter('#'), true)
    assert.equal(isValidTopicFilter('+'), true)
    assert.equal(isValidTopicFilter('a/+/c/#'), true)
    assert.equal(isValidTopicFilter('a/#/c'), false)
    assert.equal(isValidTopicFilter('a/b#'), false)
    assert.equal(isValidTopicFilter('a/b+/c'), false)
    assert.equal(isValidTopicFilter(''), false)
  })

  it('splits $share/{group}/{filter} and refuses malformed shared filters', () => {
    assert.deepEqual(parseSharedFilter('$share/workers/spBv1.0/+/NDATA/#'), {
      group: 'workers',
      filter: 'spBv1.0/+/NDATA/#',
    })
    assert.equal(parseSharedFilter('plain/topic'), null)
    assert.equal(parseSharedFilter('$share//a'), undefined)
    assert.equal(parseSharedFilter('$share/g'), undefined)
    assert.equal(parseSharedFilter('$share/g+/a'), undefined)
    assert.equal(parseSharedFilter('$share/g/a/#/b'), undefined)
  })

  it('matches wildcards as MQTT 4.7 says', () => {
    assert.equal(topicMatches('sport/tennis/player1/#', 'sport/tennis/player1'), true)
    assert.equal(topicMatches('sport/tennis/player1/#', 'sport/tennis/player1/ranking'), true)
    assert.equal(topicMatches('sport/+', 'sport'), false)
    assert.equal(topicMatches('sport/+', 'sport/'), true)
    assert.equal(topicMatches('+/+', '/finance'), true)
    assert.equal(topicMatches('/+', '/finance'), true)
    assert.equal(topicMatches('+', '/finance'), false)
    assert.equal(topicMatches('#', '$SYS/broker'), false)
    assert.equal(topicMatches('+/broker', '$SYS/broker'), false)
    assert.equal(topicMatches('$SYS/#', '$SYS/broker'), true)
  })
})

describe('SubscriptionTree', () => {
  const all = (): boolean => true

  it('returns each matching subscriber once with the highest granted QoS', () => {
    const t = new SubscriptionTree<string>()
    t.add('a/+/c', 'x', q0)
    t.add('a/#', 'x', q1)
    t.add('a/b/c', 'y', q0)
    t.add('a/b', 'z', q1)
    t.add('#', 'w', q0)
    const got = t.match('a/b/c', all).map((r) => `${r.subscriber}:${r.options.qos}`)
    assert.deepEqual(got.sort(), ['w:0', 'x:1', 'y:0'])
    assert.equal(t.size, 5)
  })

  it('does not match $-topics with a first-level wildcard', () => {
    const t = new SubscriptionTree<string>()
    t.add('#', 'all', q0)
    t.add('+/x', 'plus', q0)
    t.add('$SYS/#', 'sys', q0)
    assert.deepEqual(
      t.match('$SYS/x', all).map((r) => r.subscriber),
      ['sys'],
    )
    assert.deepEqual(
      t
        .match('a/x', all)
        .map((r) => r.subscriber)
        .sort(),
      ['all', 'plus'],
    )
  })

  it('gives each message of a shared group to one member, round robin, preferring online ones', () => {
    const t = new SubscriptionTree<string>()
    t.add('jobs/#', 'm1', q1, 'g')
    t.add('jobs/#', 'm2', q1, 'g')
    t.add('jobs/#', 'm3', q1, 'g')
    const picks = [1, 2, 3, 4, 5, 6].map(() => t.match('jobs/a', all)[0]!.subscriber)
    assert.deepEqual(picks, ['m1', 'm2', 'm3', 'm1', 'm2', 'm3'])
    const online = (s: string): boolean => s !== 'm2'
    const picks2 = [1, 2, 3, 4].map(() => t.match('jobs/a', online)[0]!.subscriber)
    assert.deepEqual(picks2, ['m1', 'm3', 'm1', 'm3'])
  })

  it('removes subscriptions and prunes empty branches', () => {
    const t = new SubscriptionTree<string>()
    t.add('a/b/c', 'x', q0)
    t.add('a/b/#', 'x', q0, 'g')
    assert.equal(t.remove('a/b/c', 'x'), true)
    assert.equal(t.remove('a/b/c', 'x'), false)
    assert.equal(t.remove('a/b/#', 'x', 'g'), true)
    assert.equal(t.size, 0)
    assert.deepEqual(t.match('a/b/c', all), [])
  })
})

describe('ByteList', () => {
  it('reads across chunk boundaries and consumes from the front', () => {
    const l = new ByteList()
    l.append(Buffer.from([1, 2]))
      .append(Buffer.from([3, 4, 5]))
      .append(Buffer.alloc(0))
    assert.equal(l.length, 5)
    assert.equal(l.readUInt8(2), 3)
    assert.equal(l.readUInt16BE(1), 0x0203)
    assert.equal(l.readUInt32BE(1), 0x02030405)
    assert.deepEqual([...l.slice(1, 4)], [2, 3, 4])
    l.consume(3)
    assert.equal(l.length, 2)
    assert.deepEqual([...l.slice()], [4, 5])
    assert.throws(() => l.readUInt8(2), RangeError)
  })
})
