// What the NATS bridge needs from its first connection on, and not before: the connection's
// attempts and errors (first-connection.ts), the sender (sender.ts) and the receiving of messages
// (receive.ts, with the frame decoding). connectNats() loads it with import() before its first
// connection, so what an app pays for up front is the bridge's setup.
export { createSender } from './sender.js'
export { receiveMessage } from './receive.js'
export { connectFirst, connectionClosed } from './first-connection.js'
