import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { HandlesJob } from './job-handler.decorator';
import { JobName } from './job-catalogue';
import { collectHandlers, JobCatalogueError } from './worker-host';

class Delivery {
  @HandlesJob(JobName.DeliverNotification)
  async deliver(): Promise<string> {
    return 'delivered';
  }
}

class SecondDelivery {
  @HandlesJob(JobName.DeliverNotification)
  async again(): Promise<void> {}
}

const discoveryOf = (...instances: object[]) =>
  ({ getProviders: () => instances.map((instance) => ({ instance })) }) as unknown as DiscoveryService;

describe('job catalogue', () => {
  const scanner = new MetadataScanner();
  const reflector = new Reflector();

  it('maps every job to its one handler', async () => {
    const handlers = collectHandlers(discoveryOf(new Delivery(), { unrelated: true }), scanner, reflector, [JobName.DeliverNotification]);
    expect(await handlers.get(JobName.DeliverNotification)!({}, {} as never)).toBe('delivered');
  });

  it('refuses to start when a job has no handler', () => {
    expect(() => collectHandlers(discoveryOf(new Delivery()), scanner, reflector)).toThrow(JobCatalogueError);
  });

  it('refuses to start when a job has two handlers', () => {
    expect(() => collectHandlers(discoveryOf(new Delivery(), new SecondDelivery()), scanner, reflector, [JobName.DeliverNotification])).toThrow(/2 handlers/);
  });
});
