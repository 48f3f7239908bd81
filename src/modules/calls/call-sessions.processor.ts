import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads } from '../../infra/queue/job-catalogue';
import { HandlesJob } from '../../infra/queue/job-handler.decorator';
import { CallSessionsService, CheckOutcome } from './call-sessions.service';

/** The call time-outs (ring, reconnect grace, dead node): one job, one service call. */
@Injectable()
export class CallSessionsProcessor {
  constructor(private readonly calls: CallSessionsService) {}

  @HandlesJob(JobName.CheckCallSession)
  check(payload: JobPayloads[JobName.CheckCallSession]): Promise<CheckOutcome> {
    return this.calls.check(payload.sessionId);
  }
}
