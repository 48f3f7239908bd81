import { Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

export interface SmsMessage {
  to: string;
  text: string;
  /** Our id for the message, so the gateway can de-duplicate a retry. */
  reference: string;
}

export abstract class SmsGateway {
  abstract send(message: SmsMessage): Promise<void>;
}

export const maskPhone = (phone: string) => `${phone.slice(0, 4)}****${phone.slice(-2)}`;

/**
 * POSTs JSON to SMS_GATEWAY_URL, signed with HMAC-SHA256 over `timestamp.body` in
 * `X-Homeline-Signature`, so the gateway can refuse forged or replayed requests.
 */
export class HttpSmsGateway extends SmsGateway {
  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    const body = JSON.stringify(message);
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const signature = createHmac('sha256', this.secret).update(`${timestamp}.${body}`).digest('hex');
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-homeline-timestamp': timestamp,
        'x-homeline-signature': `sha256=${signature}`,
        'idempotency-key': message.reference,
      },
      body,
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`SMS gateway answered ${response.status}`);
  }
}

/**
 * Development adapter: writes the message to the log instead of sending it, text included (a
 * developer reads pairing codes there). Never in production, whose configuration requires a gateway.
 */
export class LogSmsGateway extends SmsGateway {
  private readonly logger = new Logger('SmsGateway');

  async send(message: SmsMessage): Promise<void> {
    this.logger.log({ to: maskPhone(message.to), reference: message.reference, text: message.text }, 'SMS (not sent: no SMS_GATEWAY_URL)');
  }
}

export const smsGatewayProvider = {
  provide: SmsGateway,
  inject: [AppConfig],
  useFactory: (config: AppConfig): SmsGateway => {
    const { url, secret } = config.smsGateway;
    // the configuration requires the secret with the URL, and the URL in production
    return url ? new HttpSmsGateway(url, secret!) : new LogSmsGateway();
  },
};
