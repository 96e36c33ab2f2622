import { RongheError } from '../../core/index.ts'

/**
 * Codes the MQTT broker reports, through `hooks.onRejected` (per connection or packet) or thrown
 * from `broker.publish`. Stable and greppable: logs and counters key on them.
 */
export const MqttErrorCodes = {
  /** the bytes did not parse as MQTT (also: reserved bits set, bad UTF-8 lengths) */
  malformed: 'MQTT_MALFORMED_PACKET',
  /** a packet larger than maxPacketBytes */
  tooLarge: 'MQTT_PACKET_TOO_LARGE',
  /** a packet out of order: no CONNECT first, a second CONNECT, PUBREL for nothing, topic alias... */
  protocol: 'MQTT_PROTOCOL_ERROR',
  /** authenticate rejected the CONNECT */
  authFailed: 'MQTT_AUTH_FAILED',
  /** authorizePublish said no (also for a will topic at CONNECT) */
  publishDenied: 'MQTT_PUBLISH_DENIED',
  /** authorizeSubscribe said no */
  subscribeDenied: 'MQTT_SUBSCRIBE_DENIED',
  /** a PUBLISH topic name with wildcards, empty, or NUL */
  topicInvalid: 'MQTT_TOPIC_INVALID',
  /** a SUBSCRIBE filter that is not a valid filter */
  filterInvalid: 'MQTT_FILTER_INVALID',
  /** onPublish returned ok:false (or threw) */
  publishRejected: 'MQTT_PUBLISH_REJECTED',
  /** no CONNECT within the connect timeout, or silent for 1.5 x keep-alive */
  timeout: 'MQTT_KEEPALIVE_TIMEOUT',
  /** a QoS 1 message dropped because a session's offline queue was full, or QoS 0 under write back-pressure */
  dropped: 'MQTT_MESSAGE_DROPPED',
  /** a hook threw where it must not (authorize*, onConnect...) */
  hookFailed: 'MQTT_HOOK_FAILED',
  /** the broker is closed */
  closed: 'MQTT_BROKER_CLOSED',
} as const

export type MqttErrorCode = (typeof MqttErrorCodes)[keyof typeof MqttErrorCodes]

export const MqttErrors = {
  topicInvalid: (topic: string): RongheError =>
    new RongheError(MqttErrorCodes.topicInvalid, `not a valid MQTT topic name: ${JSON.stringify(topic)}`, {
      status: 400,
      details: { topic },
    }),
  closed: (): RongheError =>
    new RongheError(MqttErrorCodes.closed, 'the MQTT broker is closed', { status: 503 }),
} as const

/** MQTT 5 reason codes this broker sends (MQTT 5 §2.4). v3.1.1 CONNACK return codes are separate. */
export const ReasonCode = {
  success: 0x00,
  noMatchingSubscribers: 0x10,
  noSubscriptionExisted: 0x11,
  unspecified: 0x80,
  malformed: 0x81,
  protocolError: 0x82,
  implementationSpecific: 0x83,
  clientIdNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverShuttingDown: 0x8b,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdInUse: 0x91,
  packetIdNotFound: 0x92,
  packetTooLarge: 0x95,
  administrativeAction: 0x98,
  payloadFormatInvalid: 0x99,
  topicAliasInvalid: 0x94,
  sharedSubscriptionsNotSupported: 0x9e,
} as const

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const ConnackV3 = {
  accepted: 0,
  unacceptableProtocol: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const
