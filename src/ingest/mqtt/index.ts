/** Public surface of the MQTT front door. */
export {
  type BrokerClient,
  type BrokerHooks,
  type BrokerStats,
  type ConnectInfo,
  connackFor,
  createMqttBroker,
  type InboundMessage,
  type MqttBroker,
  type MqttBrokerOptions,
  type PublishVerdict,
  type WillOrigin,
} from './broker.ts'
export { ConnackV3, type MqttErrorCode, MqttErrorCodes, MqttErrors, ReasonCode } from './broker-errors.ts'
export {
  isValidTopicFilter,
  isValidTopicName,
  parseSharedFilter,
  type SharedFilter,
  SubscriptionTree,
  type SubscriptionOptions,
  topicMatches,
} from './topic-filter.ts'
