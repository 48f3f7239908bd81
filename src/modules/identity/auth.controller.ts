import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, CurrentActor, Public } from '../../common/actor';
import { AuthRateLimit } from '../../common/guards/rate-limit.guard';
import { ChildPairDto, LoginDto, RefreshDto, RegisterDto, TokenPairResponse } from './dto/auth.dto';
import { ConfirmPhoneDto, ExpiresResponse, MeResponse, UpdateMeDto } from './dto/me.dto';
import { DevicesService } from './devices.service';
import { IdentityService } from './identity.service';
import { TokenPair } from './tokens.service';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly identity: IdentityService,
    private readonly devices: DevicesService,
  ) {}

  @Post('register')
  @Public()
  @AuthRateLimit()
  @ApiOperation({ summary: 'Create an adult account (phone and/or email); a phone gets an SMS confirmation code' })
  @ApiCreatedResponse({ type: TokenPairResponse })
  register(@Body() body: RegisterDto): Promise<TokenPair> {
    return this.identity.register(body);
  }

  @Post('login')
  @Public()
  @AuthRateLimit()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with phone or email and password' })
  @ApiOkResponse({ type: TokenPairResponse })
  login(@Body() body: LoginDto): Promise<TokenPair> {
    return this.identity.login(body);
  }

  @Post('refresh')
  @Public()
  @AuthRateLimit()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair; a reused refresh token ends the whole sign-in' })
  @ApiOkResponse({ type: TokenPairResponse })
  refresh(@Body() body: RefreshDto): Promise<TokenPair> {
    return this.identity.refresh(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this sign-in: its access and refresh tokens stop working and its sockets close' })
  @ApiNoContentResponse()
  logout(@CurrentActor() actor: Actor): Promise<void> {
    return this.identity.logout(actor);
  }

  @Post('child-pair')
  @Public()
  @AuthRateLimit()
  @ApiOperation({ summary: "Pair a child's device with the guardian's one-time code; returns child tokens" })
  @ApiCreatedResponse({ type: TokenPairResponse })
  childPair(@Body() body: ChildPairDto): Promise<TokenPair> {
    return this.devices.pair(body);
  }
}

@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  constructor(private readonly identity: IdentityService) {}

  @Get()
  @ApiOperation({ summary: 'Who am I' })
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentActor() actor: Actor): Promise<MeResponse> {
    return this.identity.me(actor);
  }

  @Patch()
  @ApiOperation({ summary: 'Change my name, language, time zone, phone or email' })
  @ApiOkResponse({ type: MeResponse })
  update(@CurrentActor() actor: Actor, @Body() body: UpdateMeDto): Promise<MeResponse> {
    return this.identity.updateMe(actor, body);
  }

  @Post('phone-verification')
  @AuthRateLimit()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a confirmation code to my phone by SMS' })
  @ApiAcceptedResponse({ type: ExpiresResponse })
  requestPhoneVerification(@CurrentActor() actor: Actor): Promise<ExpiresResponse> {
    return this.identity.requestPhoneVerification(actor);
  }

  @Post('phone-verification/confirm')
  @AuthRateLimit()
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm my phone with the SMS code' })
  @ApiOkResponse({ type: MeResponse })
  confirmPhone(@CurrentActor() actor: Actor, @Body() body: ConfirmPhoneDto): Promise<MeResponse> {
    return this.identity.confirmPhone(actor, body.code);
  }
}
