// What the NATS bridge needs once connected, and not before: the sender (sender.ts) and the
// receiving of messages (receive.ts, with the frame decoding). connectNats() loads it with
// import() before its first connection, so what an app pays for up front is the bridge's setup.
export { createSender } from './sender.js'
export { receiveMessage } from './receive.js'
