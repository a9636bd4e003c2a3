export { MailErrorCode, classifyMailError, type ClassifiedMailError } from './classify-error';
export type { OutgoingMessage } from './compose-message';
export { sendThroughChain, type ChainSendResult, type Refusal, type SendAttempt } from './send-through-chain';
export type { SessionStage } from './smtp-session';
export { toSmtpTransportOptions, certificateSubject, assertValidCaPem, type TransportServer } from './smtp-transport';
export { verifySmtpServer, type VerifyResult } from './verify-smtp-server';
