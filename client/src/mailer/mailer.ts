import { MailConfigurationError } from '../errors';
import { ChainSource } from './chain-source';
import { composeMessage } from './compose-message';
import type { MailerConfiguration, MailMessage, SendResult } from './mailer.types';
import { sendThroughChain } from './send-through-chain';

export interface Mailer {
  /**
   * Sends through the current chain with failover (D11) and resolves with every attempt; throws
   * MailDeliveryError when no server delivered, MailConfigurationError when there is no server or
   * sender, GatewayError when the gateway refused the configuration request.
   */
  sendMail(message: MailMessage): Promise<SendResult>;
  /** The configuration the next mail would be sent with. */
  configuration(): Promise<MailerConfiguration>;
  /** True while the change stream is live and the kept configuration is used; false while each mail fetches it. */
  readonly following: boolean;
  /** Stops following changes; mails already being sent finish. */
  close(): Promise<void>;
}

export function createMailerOn<TEvent>(source: ChainSource<TEvent>): Mailer {
  let closed = false;
  source.start();
  return {
    async sendMail(message) {
      if (closed) throw new Error('The mailer is closed');
      const config = await source.get();
      if (config.servers.length === 0) {
        throw new MailConfigurationError('NO_SMTP_SERVER', 'The effective configuration has no SMTP server (NO_SMTP_SERVER)', config.problems);
      }
      const composed = await composeMessage(message, config);
      const { deliveredBy, attempts } = await sendThroughChain(config.servers, composed);
      return {
        messageId: composed.messageId,
        deliveredBy: { id: deliveredBy.id, name: deliveredBy.name, host: deliveredBy.host, port: deliveredBy.port },
        attempts,
        envelope: composed.envelope,
        revision: config.revision,
      };
    },
    configuration: () => source.get(),
    get following() {
      return source.following;
    },
    async close() {
      closed = true;
      source.close();
    },
  };
}
