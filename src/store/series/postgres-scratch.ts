import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { needService, tcpReachable } from '../../../test/support/services.ts'

/**
 * Test support for the PostgreSQL adapters: one throw-away database per test run, so runs never see
 * each other's rows and nothing is left behind. The server comes from RONGHE_TEST_DATABASE_URL
 * (default: the trust-auth server of the dev/CI machine). Only tests import this file.
 */
export interface ScratchDatabase {
  /** connection URL of the fresh, empty database */
  readonly url: string
  /** drops the database (terminating connections that are still open) */
  drop(): Promise<void>
}

export const adminUrl = process.env.RONGHE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** undefined when PostgreSQL is reachable, else the skip reason (throws when services are required). */
export async function needPostgres(): Promise<string | undefined> {
  const u = new URL(adminUrl)
  return needService(
    `PostgreSQL at ${u.hostname}:${u.port || 5432}`,
    tcpReachable(u.hostname, Number(u.port || 5432)),
  )
}

export async function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  const name = `ronghe_test_${label}_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop(): Promise<void> {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}
