import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedSms {
  to: string;
  text: string;
  reference: string;
  signature: string;
  timestamp: string;
}

/** A stand-in SMS gateway over real HTTP that records what it was asked to send. */
export class SmsRecorder {
  readonly messages: RecordedSms[] = [];
  private server?: Server;
  /** Answer with this status (e.g. 503) to exercise retries. */
  failWith?: number;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (this.failWith) {
          res.writeHead(this.failWith).end();
          return;
        }
        const message = JSON.parse(body) as { to: string; text: string; reference: string };
        this.messages.push({
          ...message,
          signature: String(req.headers['x-homeline-signature'] ?? ''),
          timestamp: String(req.headers['x-homeline-timestamp'] ?? ''),
        });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/sms`;
  }

  to(phone: string): RecordedSms[] {
    return this.messages.filter((m) => m.to === phone);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
