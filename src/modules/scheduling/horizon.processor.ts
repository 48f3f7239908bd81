import { Injectable } from '@nestjs/common';
import { JobName } from '../../infra/queue/job-catalogue';
import { HandlesJob } from '../../infra/queue/job-handler.decorator';
import { OccurrencesService } from './occurrences.service';

/** Keeps every active plan's calls booked a horizon ahead, and ends pauses whose date has come. */
@Injectable()
export class HorizonProcessor {
  constructor(private readonly occurrences: OccurrencesService) {}

  @HandlesJob(JobName.ExtendHorizon)
  extend(): Promise<{ resumed: number; created: number }> {
    return this.occurrences.extendHorizon();
  }
}
