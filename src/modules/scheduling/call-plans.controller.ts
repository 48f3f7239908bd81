import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../common/actor';
import { CallPlansService } from './call-plans.service';
import { CallPlanResponse, CounterCallPlanDto, CreateCallPlanDto, ListCallPlansQuery, PauseCallPlanDto } from './dto/call-plan.dto';

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('v1/call-plans')
export class CallPlansController {
  constructor(private readonly plans: CallPlansService) {}

  @Post()
  @ApiOperation({ summary: "Propose a weekly call with a child of my family (a parent); the child's guardians answer" })
  @ApiCreatedResponse({ type: CallPlanResponse })
  propose(@CurrentActor() actor: Actor, @Body() body: CreateCallPlanDto): Promise<CallPlanResponse> {
    return this.plans.propose(actor, body);
  }

  @Get()
  @ApiOperation({ summary: "A child's call plans, newest first (the family's adults and the child)" })
  @ApiOkResponse({ type: [CallPlanResponse] })
  list(@CurrentActor() actor: Actor, @Query() query: ListCallPlansQuery): Promise<CallPlanResponse[]> {
    return this.plans.list(actor, query.childId);
  }

  @Post(':planId/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept the terms on the table (the side that did not make them); calls are booked eight weeks ahead' })
  @ApiOkResponse({ type: CallPlanResponse })
  accept(@CurrentActor() actor: Actor, @Param('planId', ParseUUIDPipe) planId: string): Promise<CallPlanResponse> {
    return this.plans.accept(actor, planId);
  }

  @Post(':planId/decline')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decline the terms on the table (the side that did not make them)' })
  @ApiOkResponse({ type: CallPlanResponse })
  decline(@CurrentActor() actor: Actor, @Param('planId', ParseUUIDPipe) planId: string): Promise<CallPlanResponse> {
    return this.plans.decline(actor, planId);
  }

  @Post(':planId/counter')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suggest another day, time or length; the other side answers' })
  @ApiOkResponse({ type: CallPlanResponse })
  counter(@CurrentActor() actor: Actor, @Param('planId', ParseUUIDPipe) planId: string, @Body() body: CounterCallPlanDto): Promise<CallPlanResponse> {
    return this.plans.counter(actor, planId, body);
  }

  @Post(':planId/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause an active plan, optionally until a date when it resumes by itself; upcoming calls in the pause are cancelled' })
  @ApiOkResponse({ type: CallPlanResponse })
  pause(@CurrentActor() actor: Actor, @Param('planId', ParseUUIDPipe) planId: string, @Body() body: PauseCallPlanDto): Promise<CallPlanResponse> {
    return this.plans.pause(actor, planId, body);
  }

  @Post(':planId/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused plan; its calls are booked again' })
  @ApiOkResponse({ type: CallPlanResponse })
  resume(@CurrentActor() actor: Actor, @Param('planId', ParseUUIDPipe) planId: string): Promise<CallPlanResponse> {
    return this.plans.resume(actor, planId);
  }

  @Post(':planId/end')
  @HttpCode(200)
  @ApiOperation({ summary: 'End a plan; its upcoming calls are cancelled' })
  @ApiOkResponse({ type: CallPlanResponse })
  end(@CurrentActor() actor: Actor, @Param('planId', ParseUUIDPipe) planId: string): Promise<CallPlanResponse> {
    return this.plans.end(actor, planId);
  }
}
