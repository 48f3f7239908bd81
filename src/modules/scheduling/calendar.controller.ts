import { Controller, Get, Header, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Public } from '../../common/actor';
import { CalendarService } from './calendar.service';
import { CalendarTokenResponse } from './dto/call.dto';

@ApiTags('scheduling')
@Controller('v1/calendar')
export class CalendarController {
  constructor(private readonly calendar: CalendarService) {}

  @Post('token')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Get a new secret calendar-feed URL; the previous one stops working' })
  @ApiCreatedResponse({ type: CalendarTokenResponse })
  rotate(@CurrentActor() actor: Actor): Promise<CalendarTokenResponse> {
    return this.calendar.rotateToken(actor);
  }

  @Get(':token.ics')
  @Public()
  @Header('Content-Type', 'text/calendar; charset=utf-8')
  @Header('Cache-Control', 'private, no-store')
  @ApiProduces('text/calendar')
  @ApiOperation({ summary: 'The calls of my families as an iCalendar feed (RFC 5545); the secret token is the only key' })
  @ApiOkResponse({ description: 'text/calendar', schema: { type: 'string' } })
  @ApiNotFoundResponse({ description: 'Unknown or rotated token' })
  feed(@Param('token') token: string): Promise<string> {
    return this.calendar.feed(token);
  }
}
