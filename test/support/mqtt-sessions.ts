import { connectAsync } from 'mqtt'

/**
 * Removes persistent MQTT sessions a test or benchmark left on a shared broker: connects with each
 * client id asking for a clean start and no session expiry, then disconnects. Without it the broker
 * keeps the sessions (and their shared subscriptions) for their whole expiry interval.
 */
export async function discardMqttSessions(url: string, clientIds: readonly string[]): Promise<void> {
  for (const clientId of clientIds) {
    try {
      const c = await connectAsync(url, {
        clientId,
        clean: true,
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 0 },
        reconnectPeriod: 0,
        connectTimeout: 3000,
      })
      await c.endAsync()
    } catch {
      // the broker is gone: nothing to clean
    }
  }
}
