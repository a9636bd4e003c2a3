/**
 * The D11 classification of SMTP failures is defined once, in the client package, so that a
 * service's mail fails over exactly as the gateway's test mail does. The client must stand alone
 * when installed elsewhere, so the gateway uses its module rather than the other way round.
 */
export * from '../../../client/src/mailer/classify-error';
