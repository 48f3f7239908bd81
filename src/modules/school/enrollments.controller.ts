import { Body, Controller, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { AuthRateLimit } from '../../common/guards/rate-limit.guard';
import { EnrollDto, EnrollmentResponse } from './dto/enrollment.dto';
import { SchoolService } from './school.service';

@ApiTags('school')
@ApiBearerAuth()
@Controller('v1/children/:childId/enrollments')
export class EnrollmentsController {
  constructor(private readonly school: SchoolService) {}

  @Post()
  // join codes do not expire or burn, so guessing them is held back per address
  @AuthRateLimit()
  @ApiOperation({ summary: "Enrol the child in a class with the teacher's join code (a family adult of the child)" })
  @ApiCreatedResponse({ type: EnrollmentResponse })
  enroll(
    @CurrentActor() actor: Actor,
    @Param('childId', ParseUUIDPipe) childId: string,
    @Body() body: EnrollDto,
  ): Promise<EnrollmentResponse> {
    return this.school.enroll(actor, childId, body);
  }
}
